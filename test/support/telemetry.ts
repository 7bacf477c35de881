/** A Telemetry that keeps every event it is given, in order, for tests to read. */
import type { Telemetry, TelemetryEvent, TelemetryEventName } from "../../src/telemetry/events";

export interface CapturedTelemetry extends Telemetry {
  readonly events: TelemetryEvent[];
  /** The dimensions of every event with this name. */
  of(name: TelemetryEventName): Array<Record<string, string>>;
}

export function captureTelemetry(): CapturedTelemetry {
  const events: TelemetryEvent[] = [];
  return {
    events,
    async track(event) {
      events.push(event);
    },
    of(name) {
      return events.filter((event) => event.name === name).map((event) => ({ ...event.dimensions }) as Record<string, string>);
    },
  };
}
