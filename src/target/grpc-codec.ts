import { createRequire } from 'node:module';
import path from 'node:path';
import type protobuf from 'protobufjs';
import { protoDir } from '../paths.js';

// protobufjs takes ~0.2 s to load; only gRPC targets need it, so it is required on first use.
const require = createRequire(import.meta.url);

/**
 * The bytes the gRPC probe sends and how it reads the reply. For methods we
 * know (the reference DemoService, the standard health check) the reply is
 * decoded for the report; for any other method the probe sends an empty
 * message, which is a valid encoding of every proto3 message type.
 */
export interface GrpcCodec {
  readonly request: Uint8Array;
  /** A readable rendering of the reply message, for evidence. */
  describeReply(message: Uint8Array): string;
}

let root: protobuf.Root | undefined;
function protos(): protobuf.Root {
  const { loadSync } = require('protobufjs') as typeof protobuf;
  root ??= loadSync([path.join(protoDir, 'demo.proto'), path.join(protoDir, 'health.proto')]);
  return root;
}

/** The name and age the probe sends to DemoService.SayHello. */
export const helloRequest = { name: 'mtlspec', age: 1 } as const;

export function grpcCodecFor(method: string): GrpcCodec {
  if (method === '/mtlspec.demo.DemoService/SayHello') return messageCodec('mtlspec.demo.HelloRequest', 'mtlspec.demo.HelloResponse', helloRequest);
  if (method === '/grpc.health.v1.Health/Check') return messageCodec('grpc.health.v1.HealthCheckRequest', 'grpc.health.v1.HealthCheckResponse', {});
  return {
    request: new Uint8Array(0),
    describeReply: (message) => `${message.length} byte(s) of an unknown message type`,
  };
}

function messageCodec(requestType: string, replyType: string, request: Record<string, unknown>): GrpcCodec {
  const requestMessage = protos().lookupType(requestType);
  const replyMessage = protos().lookupType(replyType);
  return {
    request: requestMessage.encode(requestMessage.create(request)).finish(),
    describeReply(message) {
      try {
        return JSON.stringify(replyMessage.toObject(replyMessage.decode(message), { enums: String }));
      } catch {
        return `${message.length} byte(s) that do not decode as ${replyType}`;
      }
    },
  };
}
