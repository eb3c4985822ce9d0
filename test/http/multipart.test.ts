import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { errorHandler } from '../../src/http/error-handler.js';
import { multipartForm } from '../../src/http/multipart.js';
import { createLogger } from '../../src/lib/logger.js';

/** An app with only the upload parser, answering what a route would see of the form. */
function echoApp(limitBytes: number) {
  const app = express();
  app.post('/form', multipartForm(limitBytes), (req, res) => {
    res.json({
      fields: Object.entries(req.body ?? {}),
      plainObjectPrototype: Object.getPrototypeOf(req.body) === null || Object.getPrototypeOf(req.body) === Object.prototype,
      files: (req.files ?? []).map((f) => ({ field: f.field, filename: f.filename, text: f.data.toString('utf8') })),
    });
  });
  app.use(errorHandler(createLogger('silent')));
  return supertest(app);
}

describe('multipart form uploads', () => {
  it('reads fields (repeated ones as lists) and files, with their UTF-8 names', async () => {
    const res = await echoApp(1024)
      .post('/form')
      .field('text', 'hello')
      .field('include', '0')
      .field('include', '2')
      .attach('files', Buffer.from('# 第07周'), '第07周.md')
      .expect(200);
    expect(res.body.fields).to.deep.equal([
      ['text', 'hello'],
      ['include', ['0', '2']],
    ]);
    expect(res.body.files).to.deep.equal([{ field: 'files', filename: '第07周.md', text: '# 第07周' }]);
  });

  it('keeps parts named __proto__ and constructor as ordinary fields, never as the prototype of the body', async () => {
    const res = await echoApp(1024).post('/form').field('__proto__', 'a').field('__proto__', 'b').field('constructor', 'c').field('text', 'kept').expect(200);
    expect(res.body.fields).to.deep.equal([
      ['__proto__', ['a', 'b']],
      ['constructor', 'c'],
      ['text', 'kept'],
    ]);
    expect(res.body.plainObjectPrototype).to.equal(true);
  });

  it('answers 413 to a body over the limit and 400 to a broken one', async () => {
    const big = await echoApp(1024).post('/form').attach('files', Buffer.alloc(4096, 'x'), 'big.txt').expect(413);
    expect(big.body.error).to.include({ code: 'payload_too_large' });
    const broken = await echoApp(1024)
      .post('/form')
      .set('content-type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\ncontent-disposition: form-data; name="text"\r\n\r\nunterminated')
      .expect(400);
    expect(broken.body.error.message).to.include('Malformed form upload');
    await echoApp(1024).post('/form').set('content-type', 'multipart/form-data').send('x').expect(400);
  });
});
