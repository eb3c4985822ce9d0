/** The roles a person may hold; here, below every feature, because the configuration names them too (src/users/permissions.ts says what each may do). */
export const ROLES = ['admin', 'editor', 'reviewer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
