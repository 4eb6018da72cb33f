import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { bearerToken, type TokenSource } from "./auth.js";
import { Health } from "./gen/grpc/health/v1/health_pb.js";
import { AutomationService } from "./gen/runyard/v1/automation_pb.js";
import { ExecutionService } from "./gen/runyard/v1/execution_pb.js";
import { RunService } from "./gen/runyard/v1/run_service_pb.js";
import { RunnerService } from "./gen/runyard/v1/runner_service_pb.js";
import { TokenService } from "./gen/runyard/v1/token_pb.js";
import { WorkspaceService } from "./gen/runyard/v1/workspace_pb.js";

export interface RunyardClientOptions {
  /** The gRPC address, e.g. "http://127.0.0.1:50051" (plaintext HTTP/2) or "https://runyard.example.com". */
  baseUrl: string;
  /** The bearer token's secret (`runyard tokens create` prints it), or a function returning it. */
  token?: TokenSource;
  /** Deadline of every call in milliseconds, sent as grpc-timeout; a per-call `{ timeoutMs }` wins. */
  timeoutMs?: number;
  /** Further interceptors, run after the token one. */
  interceptors?: Interceptor[];
}

/** One typed client per runyard.v1 service, plus gRPC health, over one HTTP/2 connection. */
export interface RunyardClient {
  transport: Transport;
  workspaces: Client<typeof WorkspaceService>;
  automations: Client<typeof AutomationService>;
  runs: Client<typeof RunService>;
  executions: Client<typeof ExecutionService>;
  runner: Client<typeof RunnerService>;
  tokens: Client<typeof TokenService>;
  health: Client<typeof Health>;
}

/** A gRPC transport to runyard with the token and deadline options applied. */
export function createRunyardTransport(options: RunyardClientOptions): Transport {
  const interceptors: Interceptor[] = [];
  if (options.token !== undefined) interceptors.push(bearerToken(options.token));
  interceptors.push(...(options.interceptors ?? []));
  return createGrpcTransport({
    baseUrl: options.baseUrl,
    interceptors,
    defaultTimeoutMs: options.timeoutMs,
  });
}

export function createRunyardClient(options: RunyardClientOptions): RunyardClient {
  const transport = createRunyardTransport(options);
  return {
    transport,
    workspaces: createClient(WorkspaceService, transport),
    automations: createClient(AutomationService, transport),
    runs: createClient(RunService, transport),
    executions: createClient(ExecutionService, transport),
    runner: createClient(RunnerService, transport),
    tokens: createClient(TokenService, transport),
    health: createClient(Health, transport),
  };
}
