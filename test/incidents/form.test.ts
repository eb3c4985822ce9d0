import { expect } from 'chai';
import { BadRequest } from '../../src/lib/errors.js';
import { parseOr400 } from '../../src/http/validate.js';
import { formErrors, incidentFromForm } from '../../src/incidents/form.js';
import { createIncidentBody } from '../../src/incidents/schemas.js';

/** What the incident form says of a row cell the schema refused: the column and the row, in the reader's language. */
describe('incident form row errors', () => {
  const refusal = (form: Record<string, string | string[]>) => {
    const { body } = incidentFromForm({ title: 'x', severity: 'P3', status: 'investigating', timezone: 'Asia/Shanghai', ...form }, 'zh-CN', true);
    try {
      parseOr400(createIncidentBody, body, 'incident');
    } catch (err) {
      if (err instanceof BadRequest) return err.fields;
    }
    throw new Error('the form was accepted');
  };

  it('names the column of an error-ratio cell and its row, in Chinese and English', () => {
    const fields = refusal({ ratioLabel: ['订单', '退款'], ratioTotal: ['100', '200'], ratioErrors: ['3', '1.5'] });
    expect(formErrors(fields, 'zh-CN').byField.ratios).to.match(/^错误行数（第 2 行）：/);
    expect(formErrors(fields, 'en').byField.ratios).to.match(/^In error \(row 2\): /);
  });

  it('names the column of a timeline cell', () => {
    const fields = refusal({ timelineAt: ['not a time'], timelineText: ['发现'] });
    expect(formErrors(fields, 'zh-CN').byField.timeline).to.match(/（第 1 行）：/).and.not.match(/^第 1 行/);
  });
});
