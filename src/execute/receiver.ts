import type { Service, ServicePlugin } from '../serve/service';

export function createReceiver(_svc: Service): ServicePlugin {
  return { mount() {} };
}
