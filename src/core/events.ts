import { z } from 'zod';
import { INPUT_KEYS, REMEDY_KEYS } from '../errors.js';

/**
 * The event stream every core service emits. Presenters (plain lines, JSON lines, listr2) only consume it.
 * This schema is the public contract of `--json`: fields may be added, never removed.
 */
export const ResourceKind = z.enum(['instance', 'volume', 'attachment', 'mount', 'ssh-session', 'temp-dir', 'snapshot', 'lock', 'multipart-upload', 'staging-area', 'export-job', 'loop-device', 'crypt-mapping']);
export type ResourceKind = z.infer<typeof ResourceKind>;

const base = { time: z.string() };

/**
 * What a warning or an error is about, apart from its words: the input (an option key such as volume or imageId) and
 * the remedy (such as overwrite or force). `message` already names them as the command line spells them.
 */
export const Advice = z.object({
  input: z.enum(INPUT_KEYS).optional(),
  value: z.string().optional(),
  remedy: z.enum(REMEDY_KEYS).optional(),
  remedyValue: z.string().optional(),
});

export const OffsiteEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('run-start'), runId: z.string(), command: z.string() }),
  z.object({ ...base, type: z.literal('phase-start'), phase: z.string(), title: z.string() }),
  z.object({
    ...base,
    type: z.literal('phase-end'),
    phase: z.string(),
    status: z.enum(['ok', 'failed', 'skipped', 'cancelled']),
    elapsedMs: z.number(),
    detail: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('progress'),
    phase: z.string(),
    bytes: z.number(),
    total: z.number().optional(),
    bytesPerSecond: z.number().optional(),
    etaSeconds: z.number().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('resource-created'),
    kind: ResourceKind,
    id: z.string(),
    detail: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('resource-released'),
    kind: ResourceKind,
    id: z.string(),
    action: z.enum(['terminated', 'deleted', 'detached', 'unmounted', 'closed', 'kept', 'removed']),
  }),
  z.object({ ...base, type: z.literal('log'), message: z.string() }),
  z.object({ ...base, type: z.literal('warning'), message: z.string(), advice: Advice.optional() }),
  z.object({ ...base, type: z.literal('result'), result: z.record(z.string(), z.unknown()) }),
  z.object({
    ...base,
    type: z.literal('error'),
    message: z.string(),
    exitCode: z.number(),
    advice: Advice.optional(),
    /** Exit 4 (and 130 when the clean-up was cut short): exactly what is left, and the command that removes it. */
    leftBehind: z.array(z.object({ kind: ResourceKind, id: z.string(), region: z.string().optional() })).optional(),
    cleanup: z.string().optional(),
  }),
]);

export type OffsiteEvent = z.infer<typeof OffsiteEventSchema>;
export type OffsiteEventType = OffsiteEvent['type'];

/** Distributes an event type over the union so callers can omit `time` per variant. */
type WithoutTime<T> = T extends unknown ? Omit<T, 'time'> : never;
export type EventInput = WithoutTime<OffsiteEvent>;

/** Where a service sends its events. A service never prints. */
export type EventSink = (event: OffsiteEvent) => void;

export function makeEmitter(sink: EventSink): (event: EventInput) => void {
  return (event) => sink({ ...event, time: new Date().toISOString() } as OffsiteEvent);
}
