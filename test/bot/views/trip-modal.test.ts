import type { InputBlock, StaticSelect } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  newTripModal,
  TRIP_MODAL_CALLBACK_ID,
  TRIP_MODAL_FIELDS,
  tripModalErrors,
  tripModalInput,
} from '../../../src/bot/views/trip-modal.ts';

const geofences = [
  { id: 'g-apapa', name: 'Apapa Port' },
  { id: 'g-ikeja', name: 'Ikeja Depot' },
];

const inputs = (view: ReturnType<typeof newTripModal>) =>
  Object.fromEntries(view.blocks.map((b) => [(b as InputBlock).block_id, b as InputBlock]));

describe('newTripModal', () => {
  it('is a modal with the trip_new callback id that keeps its private metadata', () => {
    const view = newTripModal({ geofences }, { privateMetadata: '{"channel":"C1"}' });
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe(TRIP_MODAL_CALLBACK_ID);
    expect(TRIP_MODAL_CALLBACK_ID).toBe('trip_new');
    expect(view.private_metadata).toBe('{"channel":"C1"}');
    expect(view.submit?.text).toBeTruthy();
  });

  it('has one input per field, under the exported block and action ids', () => {
    const byBlock = inputs(newTripModal({ geofences }, { privateMetadata: '' }));
    for (const { blockId, actionId } of Object.values(TRIP_MODAL_FIELDS)) {
      expect(byBlock[blockId]?.element.action_id).toBe(actionId);
    }
  });

  it('offers the geofences for origin and destination, valued by id', () => {
    const byBlock = inputs(newTripModal({ geofences }, { privateMetadata: '' }));
    const origin = byBlock[TRIP_MODAL_FIELDS.origin.blockId]!.element as StaticSelect;
    expect(origin.type).toBe('static_select');
    expect(origin.options?.map((o) => [o.value, o.text.text])).toEqual([
      ['g-apapa', 'Apapa Port'],
      ['g-ikeja', 'Ikeja Depot'],
    ]);
    expect(byBlock[TRIP_MODAL_FIELDS.destination.blockId]!.optional).toBe(false);
  });

  it('lists trucks when given, and searches for them through the app when not', () => {
    const listed = inputs(
      newTripModal(
        { trucks: [{ value: 'KJA-123XY', label: 'KJA-123XY' }], geofences },
        { privateMetadata: '' },
      ),
    );
    expect(listed[TRIP_MODAL_FIELDS.truck.blockId]!.element.type).toBe('static_select');
    const searched = inputs(newTripModal({ geofences }, { privateMetadata: '' }));
    expect(searched[TRIP_MODAL_FIELDS.truck.blockId]!.element.type).toBe('external_select');
    expect(searched[TRIP_MODAL_FIELDS.truck.blockId]!.optional).toBe(true);
  });

  it('asks for the planned start with a date-time picker', () => {
    const byBlock = inputs(newTripModal({ geofences }, { privateMetadata: '' }));
    expect(byBlock[TRIP_MODAL_FIELDS.plannedStart.blockId]!.element.type).toBe('datetimepicker');
  });
});

describe('tripModalInput', () => {
  it('reads the answers as createTrip input, leaving empty ones out', () => {
    const f = TRIP_MODAL_FIELDS;
    const values = {
      [f.truck.blockId]: { [f.truck.actionId]: { selected_option: { value: 'KJA-123XY' } } },
      [f.origin.blockId]: { [f.origin.actionId]: { selected_option: { value: 'g-apapa' } } },
      [f.destination.blockId]: { [f.destination.actionId]: { selected_option: { value: 'g-ikeja' } } },
      [f.client.blockId]: { [f.client.actionId]: { value: '  Dangote Cement ' } },
      [f.cargo.blockId]: { [f.cargo.actionId]: { value: '' } },
      [f.plannedStart.blockId]: { [f.plannedStart.actionId]: { selected_date_time: 1741588800 } },
      [f.eta.blockId]: { [f.eta.actionId]: { selected_date_time: null } },
    };
    expect(tripModalInput(values)).toEqual({
      truck: 'KJA-123XY',
      origin: 'g-apapa',
      destination: 'g-ikeja',
      client: 'Dangote Cement',
      planned_start_at: '2025-03-10T06:40:00.000Z',
    });
  });
});

describe('tripModalErrors', () => {
  it('maps each field to its block id', () => {
    expect(
      tripModalErrors([
        { field: 'origin', message: 'origin: no geofence "Apapa"; check the name or id' },
        { field: 'planned_start_at', message: 'pick a time' },
        { field: 'eta', message: 'eta: must not be before planned_start_at' },
      ]),
    ).toEqual({
      response_action: 'errors',
      errors: {
        trip_origin: 'no geofence "Apapa"; check the name or id',
        trip_planned_start: 'pick a time',
        trip_eta: 'must not be before planned_start_at',
      },
    });
  });

  it('joins two issues on one field and shows an unknown field on the first input', () => {
    const { errors } = tripModalErrors([
      { field: 'truck', message: 'KJA-123XY is already on TRP-000041 (in transit)' },
      { field: 'nonsense', message: 'something else' },
    ]);
    expect(errors).toEqual({
      trip_truck: 'KJA-123XY is already on TRP-000041 (in transit); something else',
    });
  });
});
