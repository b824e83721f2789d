/**
 * A LIKE pattern matching `s` anywhere, with its own wildcards escaped by '!'. Use with `LIKE :p ESCAPE '!'`:
 * an explicit ESCAPE character works the same on MySQL/MariaDB and SQLite (a backslash does not).
 */
export const likeContains = (s: string): string => `%${s.replace(/[!%_]/g, (m) => `!${m}`)}%`;
