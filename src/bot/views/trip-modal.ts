import type { ExternalSelect, InputBlock, ModalView, PlainTextOption, StaticSelect } from '@slack/types';
import { plain, truncate } from './format.ts';

// The "plan a trip" modal (`/trip new`, or the agent offering it) and the two things its submission handler
// needs: the ids to read the answers by, and a way to show validation errors next to the field they concern.

export const TRIP_MODAL_CALLBACK_ID = 'trip_new';

/** block_id and action_id of each input; the submission handler reads `view.state.values[block][action]`. */
export const TRIP_MODAL_FIELDS = {
  truck: { blockId: 'trip_truck', actionId: 'truck' },
  origin: { blockId: 'trip_origin', actionId: 'origin' },
  destination: { blockId: 'trip_destination', actionId: 'destination' },
  client: { blockId: 'trip_client', actionId: 'client' },
  cargo: { blockId: 'trip_cargo', actionId: 'cargo' },
  plannedStart: { blockId: 'trip_planned_start', actionId: 'planned_start' },
  eta: { blockId: 'trip_eta', actionId: 'eta' },
} as const;

type FieldName = keyof typeof TRIP_MODAL_FIELDS;

/** An option as the caller has it: the value sent back (a truck number, a geofence id) and what people read. */
export interface ModalOption {
  value: string;
  label: string;
}

export interface NewTripModalInput {
  /** Without a list, the truck menu asks the app as people type (an `options` listener on the truck action). */
  trucks?: ModalOption[];
  geofences: { id: string; name: string }[];
}

/** Slack's static menus hold 100 options; past that the menu searches through the app instead. */
const STATIC_MAX = 100;
const TEXT_MAX = 200; // as createTripSchema allows for client and cargo

const option = (o: ModalOption): PlainTextOption => ({
  text: plain(truncate(o.label, 75)),
  value: o.value,
});

function menu(
  field: FieldName,
  placeholder: string,
  options: ModalOption[] | undefined,
): StaticSelect | ExternalSelect {
  const { actionId } = TRIP_MODAL_FIELDS[field];
  if (options && options.length <= STATIC_MAX) {
    return {
      type: 'static_select',
      action_id: actionId,
      placeholder: plain(placeholder),
      options: options.map(option),
    };
  }
  return {
    type: 'external_select',
    action_id: actionId,
    placeholder: plain(placeholder),
    min_query_length: 1,
  };
}

function input(
  field: FieldName,
  label: string,
  element: InputBlock['element'],
  optional = false,
): InputBlock {
  return {
    type: 'input',
    block_id: TRIP_MODAL_FIELDS[field].blockId,
    label: plain(label),
    element,
    optional,
  };
}

const text = (field: FieldName, placeholder: string): InputBlock['element'] => ({
  type: 'plain_text_input',
  action_id: TRIP_MODAL_FIELDS[field].actionId,
  placeholder: plain(placeholder),
  max_length: TEXT_MAX,
});

const when = (field: FieldName): InputBlock['element'] => ({
  type: 'datetimepicker',
  action_id: TRIP_MODAL_FIELDS[field].actionId,
});

/** `privateMetadata` comes back untouched on submit: where to post the card (channel, thread), say. */
export function newTripModal(input_: NewTripModalInput, opts: { privateMetadata: string }): ModalView {
  const places = input_.geofences.map((g) => ({ value: g.id, label: g.name }));
  return {
    type: 'modal',
    callback_id: TRIP_MODAL_CALLBACK_ID,
    private_metadata: opts.privateMetadata,
    title: plain('Plan a trip'),
    submit: plain('Plan trip'),
    close: plain('Cancel'),
    blocks: [
      input('truck', 'Truck', menu('truck', 'e.g. KJA-123XY (can be assigned later)', input_.trucks), true),
      input('origin', 'Origin', menu('origin', 'Pickup, e.g. Apapa Port', places)),
      input('destination', 'Destination', menu('destination', 'Dropoff, e.g. Ikeja Depot', places)),
      input('client', 'Client', text('client', 'Who the cargo is for'), true),
      input('cargo', 'Cargo', text('cargo', 'e.g. 40ft container, 30 t cement'), true),
      input('plannedStart', 'Planned start', when('plannedStart'), true),
      input('eta', 'ETA at the dropoff', when('eta'), true),
    ],
  };
}

/** The parts of `view.state.values` this modal produces. */
type StateValues = Record<
  string,
  Record<
    string,
    { selected_option?: { value: string } | null; value?: string | null; selected_date_time?: number | null }
  >
>;

/**
 * The submitted answers as `createTrip` input (src/fleet/trips.ts): names as the schema spells them, empty
 * answers left out, picked times as ISO instants.
 */
export function tripModalInput(values: StateValues): Record<string, string> {
  const read = (field: FieldName) => {
    const { blockId, actionId } = TRIP_MODAL_FIELDS[field];
    const v = values[blockId]?.[actionId];
    if (!v) return undefined;
    if (v.selected_option) return v.selected_option.value;
    if (typeof v.selected_date_time === 'number') return new Date(v.selected_date_time * 1000).toISOString();
    return v.value?.trim() || undefined;
  };
  const out: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  put('truck', read('truck'));
  put('origin', read('origin'));
  put('destination', read('destination'));
  put('client', read('client'));
  put('cargo', read('cargo'));
  put('planned_start_at', read('plannedStart'));
  put('eta', read('eta'));
  return out;
}

/** Issue fields as createTrip names them (and the modal's own names), to the modal's blocks. */
const BLOCK_FOR_ISSUE: Readonly<Record<string, string>> = {
  truck: TRIP_MODAL_FIELDS.truck.blockId,
  origin: TRIP_MODAL_FIELDS.origin.blockId,
  destination: TRIP_MODAL_FIELDS.destination.blockId,
  client: TRIP_MODAL_FIELDS.client.blockId,
  cargo: TRIP_MODAL_FIELDS.cargo.blockId,
  planned_start_at: TRIP_MODAL_FIELDS.plannedStart.blockId,
  plannedStart: TRIP_MODAL_FIELDS.plannedStart.blockId,
  eta: TRIP_MODAL_FIELDS.eta.blockId,
};

export interface ModalErrors {
  response_action: 'errors';
  errors: Record<string, string>;
}

/**
 * Validation issues as the `ack()` answer (errors belong to whoever is filling the form, so they go here,
 * never to the channel) that shows each under its field. An issue about no field the modal
 * has (a busy truck is about the truck; anything else) is shown on the first field rather than dropped, and
 * two issues on one field are joined.
 */
export function tripModalErrors(issues: readonly { field: string; message: string }[]): ModalErrors {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const block = BLOCK_FOR_ISSUE[issue.field] ?? TRIP_MODAL_FIELDS.truck.blockId;
    // Under its own field, `origin: no geofence "Apapa"` needn't repeat the field's name.
    const prefix = `${issue.field}: `;
    const message =
      BLOCK_FOR_ISSUE[issue.field] && issue.message.startsWith(prefix)
        ? issue.message.slice(prefix.length)
        : issue.message;
    errors[block] = errors[block] ? `${errors[block]}; ${message}` : message;
  }
  return { response_action: 'errors', errors };
}
