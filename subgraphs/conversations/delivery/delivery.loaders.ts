import type DataLoader from 'dataloader';
import type { Viewer } from '../../_shared/auth.js';
import { byIdLoader, emptyLoader } from '../../_shared/loaders.js';
import type { MessageDeliveryEntity } from './delivery.entity.js';
import type { DeliveryService } from './delivery.service.js';

export interface DeliveryLoaders {
  deliveryByMessage: DataLoader<string, MessageDeliveryEntity | null>;
}

export function createDeliveryLoaders(s: { delivery: DeliveryService }, viewer: Viewer | null): DeliveryLoaders {
  if (!viewer) return { deliveryByMessage: emptyLoader(null) };
  return { deliveryByMessage: byIdLoader((ids) => s.delivery.byIds(viewer.tenant, ids)) };
}
