import { cancelTripTool } from './cancel-trip.ts';
import { createTripTool } from './create-trip.ts';
import { findTrucksNearTool } from './find-trucks-near.ts';
import { fleetSummaryTool } from './fleet-summary.ts';
import { generateReportTool } from './generate-report.ts';
import { getTripStatusTool } from './get-trip-status.ts';
import { getTruckLocationTool } from './get-truck-location.ts';
import { listGeofencesTool } from './list-geofences.ts';
import { listTripsTool } from './list-trips.ts';
import { trucksInGeofenceTool } from './trucks-in-geofence.ts';
import type { FleetTool } from './types.ts';
import { updateTripStatusTool } from './update-trip-status.ts';

// Every tool the agent may call, in the order the model sees them: reads first, then the writes a human
// confirms.

export const FLEET_TOOLS: readonly FleetTool[] = [
  getTruckLocationTool,
  findTrucksNearTool,
  trucksInGeofenceTool,
  getTripStatusTool,
  listTripsTool,
  fleetSummaryTool,
  generateReportTool,
  listGeofencesTool,
  createTripTool,
  updateTripStatusTool,
  cancelTripTool,
];

export const toolByName = (name: string): FleetTool | undefined => FLEET_TOOLS.find((t) => t.name === name);

export { callTool, previewTool, toolError } from './result.ts';
export type { FleetTool, ToolContext, ToolResult } from './types.ts';
