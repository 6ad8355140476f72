import type { Ctx } from '../services/context.ts';
import { createService } from '../services/catalog.ts';

export async function loadDemoScenario(ctx: Ctx, _opts: { today: Date; day: number }): Promise<void> {
  await createService(ctx, { key: 'web', name: { it: 'Portale web', en: 'Web portal' } });
}
