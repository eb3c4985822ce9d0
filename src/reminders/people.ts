/** What reminders need to know about a person: where they are, what they read, who they answer to. */
export interface Person {
  timezone?: string;
  /** en or zh-CN */
  locale?: string;
  manager?: string;
}

export type PeopleLookup = (email: string) => Promise<Person | undefined>;

