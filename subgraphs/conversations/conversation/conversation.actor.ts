import { hasRole, type Role, type Viewer } from '../../_shared/auth.js';
import { ActorType, type Actor } from '../event/event.entity.js';

/** People who can hold conversations (and so read them, wait on customers, reopen them). */
export const HUMANS: Role[] = ['admin', 'supervisor', 'agent'];

/** Who the caller is in the lifecycle log: a person acting as an agent, or a service (channel, bot platform). */
export function actorOf(viewer: Viewer): Actor {
  return { type: hasRole(viewer, ...HUMANS) ? ActorType.AGENT : ActorType.SYSTEM, id: viewer.sub };
}
