import type { TestContext } from '../support/context.js';

/** Files an incident through the API and answers its key. */
export async function fileIncident(t: TestContext, body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.api.post('/api/v1/incidents').send({ title: 'Checkout errors', ...body });
  if (res.status !== 201) throw new Error(`filing failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key;
}

/** Adds an action to an incident through the API and answers the created action. */
export async function addAction(t: TestContext, incidentKey: string, body: Record<string, unknown> = {}) {
  const res = await t.api.post(`/api/v1/incidents/${incidentKey}/actions`).send({ title: 'Add an alert', ...body });
  if (res.status !== 201) throw new Error(`adding failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { key: string; version: number; dueDate: string; status: string };
}

export function move(t: TestContext, key: string, body: Record<string, unknown>) {
  return t.api.post(`/api/v1/actions/${key}/transitions`).send(body);
}

/** Verifies an action as a reviewer who did not mark it done (verification is a second pair of eyes). */
export async function verify(t: TestContext, key: string, body: Record<string, unknown> = {}, status = 200) {
  const reviewer = await t.as('reviewer', 'verifier@example.com');
  return reviewer.post(`/api/v1/actions/${key}/transitions`).send({ to: 'verified', ...body }).expect(status);
}

/** Deletes every record but people and their credentials (and the change feed), then reloads the read model. */
export async function resetData(t: TestContext): Promise<void> {
  const { users: _people, credentials: _signIns, feed: _feed, feedMeta: _feedMeta, ...data } = t.services.models;
  for (const model of Object.values(data)) await (model as { deleteMany(f: object): Promise<unknown> }).deleteMany({});
  await t.services.mirror.reload();
}
