import { Schema, type Connection, type Model } from 'mongoose';
import type { Clock } from '../lib/clock.js';

/**
 * Numbers that come from outside Debrief, recorded per period: success rates of named flows
 * (入金有效成功率 99.94%, with a note when one dips) and the stability work of the period (drills and
 * other 稳定性建设 items). Each is read by `_id` (`<flow>:<from>:<to>`, `<from>:<to>`): FerretDB finds a
 * document fast only that way. The flows themselves are a small collection, in the order first recorded.
 */
export interface MetricDoc {
  _id: string;
  flow: string;
  from: string;
  to: string;
  /** Percent, e.g. 99.94. */
  value: number;
  note?: string;
  updatedBy: string;
  updatedAt: Date;
}

export interface FlowDoc {
  _id: string;
  createdAt: Date;
}

export interface WorkItem {
  kind: 'drill' | 'other';
  text: string;
}

export interface WorkItemsDoc {
  _id: string;
  items: WorkItem[];
  updatedBy: string;
  updatedAt: Date;
}

export function reportModels(conn: Connection) {
  const get = <T>(name: string, schema: Schema<T>, collection: string): Model<T> =>
    (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema, collection);
  return {
    periodMetrics: get<MetricDoc>(
      'PeriodMetric',
      new Schema<MetricDoc>(
        { _id: String, flow: { type: String, required: true }, from: String, to: String, value: { type: Number, required: true }, note: String, updatedBy: String, updatedAt: Date },
        { versionKey: false },
      ),
      'period_metrics',
    ),
    metricFlows: get<FlowDoc>('MetricFlow', new Schema<FlowDoc>({ _id: String, createdAt: Date }, { versionKey: false }), 'metric_flows'),
    workItems: get<WorkItemsDoc>(
      'WorkItems',
      new Schema<WorkItemsDoc>(
        { _id: String, items: [new Schema({ kind: { type: String, enum: ['drill', 'other'] }, text: String }, { _id: false })], updatedBy: String, updatedAt: Date },
        { versionKey: false },
      ),
      'stability_work_items',
    ),
  };
}

type ReportModels = ReturnType<typeof reportModels>;

export interface Period {
  from: string;
  to: string;
}

export class PeriodMetrics {
  constructor(private readonly deps: { models: ReportModels; clock: Clock }) {}

  /** Records (or replaces) one flow's success rate for a period. */
  async record(period: Period, input: { flow: string; value: number; note?: string }, by: string): Promise<MetricDoc> {
    const now = this.deps.clock.now();
    const doc = { flow: input.flow, ...period, value: input.value, ...(input.note ? { note: input.note } : {}), updatedBy: by, updatedAt: now };
    await this.deps.models.metricFlows.updateOne({ _id: input.flow }, { $setOnInsert: { createdAt: now } }, { upsert: true });
    await this.deps.models.periodMetrics.replaceOne({ _id: metricId(input.flow, period) }, doc, { upsert: true });
    return { _id: metricId(input.flow, period), ...doc };
  }

  /** Removes a flow's value for a period; true when there was one. */
  async remove(period: Period, flow: string): Promise<boolean> {
    return (await this.deps.models.periodMetrics.deleteOne({ _id: metricId(flow, period) })).deletedCount > 0;
  }

  /** The period's values, one per known flow that has one, in the order flows were first recorded. */
  async forPeriod(period: Period): Promise<{ flow: string; value: number; note?: string }[]> {
    const flows = await this.deps.models.metricFlows.find({}).sort({ createdAt: 1, _id: 1 }).lean<FlowDoc[]>();
    const docs = await Promise.all(flows.map((f) => this.deps.models.periodMetrics.findById(metricId(f._id, period)).lean<MetricDoc>()));
    return docs.filter((d): d is MetricDoc => !!d).map((d) => ({ flow: d.flow, value: d.value, ...(d.note ? { note: d.note } : {}) }));
  }

  /** The flows known so far (for the page's form). */
  async flows(): Promise<string[]> {
    return (await this.deps.models.metricFlows.find({}).sort({ createdAt: 1, _id: 1 }).lean<FlowDoc[]>()).map((f) => f._id);
  }

  async workItems(period: Period): Promise<WorkItem[]> {
    return (await this.deps.models.workItems.findById(periodId(period)).lean<WorkItemsDoc>())?.items.map(({ kind, text }) => ({ kind, text })) ?? [];
  }

  /** Replaces the period's hand-entered stability work items (an empty list clears them). */
  async setWorkItems(period: Period, items: WorkItem[], by: string): Promise<WorkItem[]> {
    await this.deps.models.workItems.replaceOne({ _id: periodId(period) }, { items, updatedBy: by, updatedAt: this.deps.clock.now() }, { upsert: true });
    return items;
  }
}

const periodId = (p: Period) => `${p.from}:${p.to}`;
const metricId = (flow: string, p: Period) => `${flow}:${periodId(p)}`;
