/** What reminders need to know about a person: where they are, what they read, who they answer to. */
export interface Person {
  timezone?: string;
  /** en or zh-CN */
  locale?: string;
  manager?: string;
}

export type PeopleLookup = (email: string) => Promise<Person | undefined>;

/**
 * Until people are recorded (users issue), everyone gets DEFAULT_TIMEZONE and DEFAULT_LOCALE and no
 * manager is known; the composition root swaps in a lookup over users when they exist.
 */
export const nobodyKnown: PeopleLookup = async () => undefined;
