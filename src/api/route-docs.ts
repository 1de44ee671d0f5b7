import type { z } from 'zod';
import type { UserRole } from '../fleet/actor.ts';

/**
 * What a REST route says about itself for the OpenAPI document: each route module exports a list of these
 * next to its plugin, built from the same zod schemas the handlers parse with, so the document cannot drift
 * from the code.
 */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI style: `/api/v1/trips/{id}` */
  path: string;
  summary: string;
  tag: string;
  /** Least role allowed; undefined = no JWT (e.g. the webhook, health). */
  role?: UserRole;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Status of success and, optionally, its body's schema. */
  success: { status: number; description: string; schema?: z.ZodType };
  /** Error statuses this route can answer, with when. */
  errors?: Record<number, string>;
}
