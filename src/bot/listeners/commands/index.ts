import type { App } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { fleetCommand } from './fleet.ts';
import { reportCommand } from './report.ts';
import { tripCommand } from './trip.ts';
import { truckCommand } from './truck.ts';
import { watchtowerCommand } from './watchtower.ts';

export function register(app: App, deps: BotDeps): void {
  app.command('/truck', truckCommand(deps));
  app.command('/trip', tripCommand(deps));
  app.command('/fleet', fleetCommand(deps));
  app.command('/report', reportCommand(deps));
  app.command('/watchtower', watchtowerCommand(deps));
}
