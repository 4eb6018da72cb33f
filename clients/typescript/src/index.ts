// @runyard/client: the generated runyard.v1 services and messages, plus what every
// caller would otherwise write (token, deadline, typed errors, paging, resuming).
export * from "./gen/runyard/v1/automation_pb.js";
export * from "./gen/runyard/v1/common_pb.js";
export * from "./gen/runyard/v1/execution_pb.js";
export * from "./gen/runyard/v1/run_pb.js";
export * from "./gen/runyard/v1/run_service_pb.js";
export * from "./gen/runyard/v1/runner_service_pb.js";
export * from "./gen/runyard/v1/token_pb.js";
export * from "./gen/runyard/v1/workspace_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
export * as health from "./gen/grpc/health/v1/health_pb.js";

export { bearerToken, type TokenSource } from "./auth.js";
export {
  createRunyardClient,
  createRunyardTransport,
  type RunyardClient,
  type RunyardClientOptions,
} from "./client.js";
export { RunyardError, call, toRunyardError } from "./errors.js";
export { items, pages, type ListMethod, type Page } from "./pagination.js";
export { isDisconnect, resumable, type ResumeOptions } from "./resume.js";
export { Code, ConnectError } from "@connectrpc/connect";
