import { z } from 'zod';

// Argument fields more than one tool takes, each with the sentence the model reads when it gets one wrong.

export const truckArg = z
  .string({ error: 'truck: expected the truck number as text, e.g. KJA-123XY' })
  .trim()
  .min(2, { error: 'truck: expected the truck number as text, e.g. KJA-123XY' })
  .max(40, { error: 'truck: at most 40 characters' })
  .describe('Truck number (plate) as the user wrote it, e.g. KJA-123XY.');

export const tripArg = z
  .string({ error: 'trip: expected the trip number, e.g. TRP-000042' })
  .trim()
  .min(1, { error: 'trip: expected the trip number, e.g. TRP-000042' })
  .max(40, { error: 'trip: at most 40 characters' })
  .describe('Trip number, e.g. TRP-000042 (TRP-42 and 42 work too).');

export const placeArg = (field: string, what: string) =>
  z
    .string({ error: `${field}: expected ${what}` })
    .trim()
    .min(2, { error: `${field}: expected ${what}` })
    .max(100, { error: `${field}: at most 100 characters` });

export const dateArg = (field: string) =>
  z
    .string({ error: `${field}: expected a Lagos date as YYYY-MM-DD, e.g. 2025-03-01` })
    .regex(/^\d{4}-\d{2}-\d{2}$/, {
      error: `${field}: expected a Lagos date as YYYY-MM-DD, e.g. 2025-03-01`,
    });
