import type { Role } from './auth.js';

/** Who may read and write customer-service data. `partner` only reaches its own channels (issue 4). */
export const STAFF: Role[] = ['admin', 'supervisor', 'agent', 'service'];
export const MANAGERS: Role[] = ['admin', 'supervisor'];
export const ADMINS: Role[] = ['admin'];
