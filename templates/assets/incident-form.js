// The incident form's rows (error ratios, timeline, actions): add and remove them, and show each ratio as it is typed.
// Without script the form still works: it always has one empty row more than was filled in.
(function () {
  'use strict';
  var count = function (text) {
    var bare = String(text || '').replace(/[\s,，_]/g, '');
    return /^\d+$/.test(bare) ? Number(bare) : NaN;
  };
  var showRatio = function (row) {
    var out = row.querySelector('[data-ratio]');
    if (!out) return;
    var total = count(row.querySelector('[data-total]').value);
    var errors = count(row.querySelector('[data-errors]').value);
    out.textContent = total > 0 && errors >= 0 ? (errors / total * 100).toFixed(3) + '%' : '';
  };
  var wire = function (row, list) {
    var remove = row.querySelector('[data-remove]');
    remove.hidden = false;
    remove.addEventListener('click', function () {
      var rows = list.querySelectorAll('[data-row]');
      if (rows.length > 1) {
        row.remove();
        list.querySelector('[data-add]').focus();
      } else {
        row.querySelectorAll('input').forEach(function (input) { input.value = ''; });
        showRatio(row);
      }
    });
    row.addEventListener('input', function () { showRatio(row); });
    showRatio(row);
  };
  // A comma-separated field with a <datalist> (services): each suggestion completes the name being typed
  // after the ones already listed, so every name, not only the first, is suggested.
  document.querySelectorAll('[data-list-of]').forEach(function (input) {
    var list = document.getElementById(input.getAttribute('data-list-of'));
    var names = Array.prototype.map.call(list.options, function (o) { return o.value; });
    input.addEventListener('input', function () {
      var parts = input.value.split(/[,，]/);
      var typed = parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean);
      var prefix = typed.length ? typed.join(', ') + ', ' : '';
      list.replaceChildren.apply(list, names.filter(function (n) { return typed.indexOf(n) < 0; }).map(function (n) {
        var option = document.createElement('option');
        option.value = prefix + n;
        return option;
      }));
    });
  });
  document.querySelectorAll('[data-rows]').forEach(function (list) {
    var rows = list.querySelectorAll('[data-row]');
    var template = rows[rows.length - 1].cloneNode(true);
    rows.forEach(function (row) { wire(row, list); });
    var add = list.querySelector('[data-add]');
    add.hidden = false;
    add.addEventListener('click', function () {
      var row = template.cloneNode(true);
      row.querySelectorAll('input').forEach(function (input) { input.value = ''; });
      list.insertBefore(row, add);
      wire(row, list);
      row.querySelector('input').focus();
    });
  });
})();
