import { ConnectError, Code } from "@connectrpc/connect";
import type { Duration } from "@bufbuild/protobuf/wkt";

import {
  BadRequestSchema,
  ErrorInfoSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
  type BadRequest_FieldViolation,
  type ErrorInfo,
  type ResourceInfo,
} from "./gen/google/rpc/error_details_pb.js";

/**
 * A failed call with the google.rpc.Status details runyard attaches (AIP-193),
 * decoded from grpc-status-details-bin: ErrorInfo always, BadRequest field
 * violations for bad arguments, ResourceInfo for missing resources, RetryInfo
 * when a retry may succeed later.
 */
export class RunyardError extends Error {
  override readonly name = "RunyardError";

  constructor(
    /** The gRPC status code. */
    readonly code: Code,
    /** The status message, without the "[code]" prefix ConnectError adds. */
    readonly rawMessage: string,
    /** The machine-readable reason, e.g. ILLEGAL_STATE_TRANSITION. */
    readonly errorInfo: ErrorInfo | undefined,
    /** Every field violation of every BadRequest detail. */
    readonly fieldViolations: BadRequest_FieldViolation[],
    readonly resourceInfo: ResourceInfo | undefined,
    /** How long to wait before retrying, in milliseconds, when the server says. */
    readonly retryDelayMs: number | undefined,
    readonly cause: ConnectError,
  ) {
    super(cause.message);
  }

  /** ErrorInfo.reason, or "" when the server sent no ErrorInfo. */
  get reason(): string {
    return this.errorInfo?.reason ?? "";
  }

  /** The gRPC code's name, e.g. "InvalidArgument". */
  get codeName(): string {
    return Code[this.code];
  }

  /** The violation of one field path (e.g. "reason" or "run.labels"), if any. */
  violation(field: string): BadRequest_FieldViolation | undefined {
    return this.fieldViolations.find((v) => v.field === field);
  }
}

/** Any error thrown by a call (or anything else) as a RunyardError. */
export function toRunyardError(err: unknown): RunyardError {
  if (err instanceof RunyardError) return err;
  const cause = ConnectError.from(err);
  const retry = cause.findDetails(RetryInfoSchema)[0];
  return new RunyardError(
    cause.code,
    cause.rawMessage,
    cause.findDetails(ErrorInfoSchema)[0],
    cause.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations),
    cause.findDetails(ResourceInfoSchema)[0],
    retry?.retryDelay ? durationMs(retry.retryDelay) : undefined,
    cause,
  );
}

/** Runs a call and rethrows its failure as a RunyardError. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRunyardError(err);
  }
}

function durationMs(d: Duration): number {
  return Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6);
}
