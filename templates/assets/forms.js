// Every page form: what is typed is kept in this tab's sessionStorage when it is sent, so that a post too
// large for the server to read (413, the body never read) comes back filled in. The server marks such a
// page with data-restore-forms on <body>. Hidden fields (the CSRF token, versions) and passwords are never kept.
(function () {
  'use strict';
  var PREFIX = 'debrief-form:';
  var kept = function (field) {
    return field.name && field.type !== 'hidden' && field.type !== 'password' && field.type !== 'file' && field.type !== 'submit' && field.type !== 'button';
  };
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field)) return;
      if ((field.type === 'checkbox' || field.type === 'radio') && !field.checked) return;
      (values[field.name] = values[field.name] || []).push(field.value);
    });
    try {
      sessionStorage.setItem(PREFIX + form.getAttribute('action'), JSON.stringify(values));
    } catch (e) {
      // Storage full or refused: the post goes on; only the 413 case loses the text.
    }
  });
  if (!document.body.hasAttribute('data-restore-forms')) return;
  Array.prototype.forEach.call(document.querySelectorAll('form[method="post"]'), function (form) {
    var saved;
    try {
      saved = JSON.parse(sessionStorage.getItem(PREFIX + form.getAttribute('action')) || 'null');
    } catch (e) {
      saved = null;
    }
    if (!saved) return;
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field) || !saved[field.name]) return;
      var values = saved[field.name];
      if (field.type === 'checkbox' || field.type === 'radio') {
        field.checked = values.indexOf(field.value) >= 0;
        return;
      }
      var i = seen[field.name] || 0;
      seen[field.name] = i + 1;
      if (i < values.length) field.value = values[i];
    });
  });
})();
