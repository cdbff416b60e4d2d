// A client of AkkaRaft's gRPC API written from protos/*.proto alone, with @grpc/grpc-js and @grpc/proto-loader and
// nothing generated (issue #17, point 4). GrpcNodeJsTests runs it against a node:
//
//   node client.mjs <host:port> <protos directory> <key>
//
// It prints one JSON object per step on stdout and exits 1, naming the step, if a call fails.
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import path from "node:path";

const [address, protos, key] = process.argv.slice(2);
if (!address || !protos || !key) {
  console.error("usage: node client.mjs <host:port> <protos directory> <key>");
  process.exit(2);
}

// Keys and values are bytes (Buffers), uint64 indexes come as strings, enums by name.
const definition = protoLoader.loadSync(
  ["kv.proto", "session.proto"].map((file) => path.join(protos, file)),
  { includeDirs: [protos], longs: String, enums: String, defaults: true, oneofs: true },
);
const v1 = grpc.loadPackageDefinition(definition).akkaraft.v1;
const credentials = grpc.credentials.createInsecure(); // h2c: the API has no TLS yet
const kv = new v1.Kv(address, credentials);
const watch = new v1.Watch(address, credentials);
const deadline = () => new Date(Date.now() + 10_000);

function call(client, method, request) {
  return new Promise((resolve, reject) =>
    client[method](request, { deadline: deadline() }, (error, response) => (error ? reject(error) : resolve(response))));
}

function print(step, fields) {
  console.log(JSON.stringify({ step, ...fields }));
}

const text = (bytes) => Buffer.from(bytes).toString("utf8");

async function main() {
  const put = await call(kv, "Put", { key: Buffer.from(key), value: Buffer.from("from node") });
  print("put", { modIndex: put.modIndex, headerIndex: put.header.index, member: put.header.memberId });

  for (const level of ["READ_LEVEL_STALE", "READ_LEVEL_DEFAULT", "READ_LEVEL_CONSISTENT"]) {
    const got = await call(kv, "Get", { key: Buffer.from(key), level });
    print("get", { level, found: got.found, value: got.found ? text(got.kv.value) : null, modIndex: got.found ? got.kv.modIndex : null });
  }

  // A watch on the key after the put: the stream says CREATED, then CHANGED at the index of the next write of the key.
  const stream = watch.Watch({ key: Buffer.from(key), afterIndex: put.modIndex }, { deadline: deadline() });
  const events = [];
  let secondPut = null;
  const changed = new Promise((resolve, reject) => {
    stream.on("data", (event) => {
      events.push(event);
      if (event.kind === "WATCH_EVENT_KIND_CREATED") {
        secondPut = call(kv, "Put", { key: Buffer.from(key), value: Buffer.from("changed from node") });
        secondPut.catch(reject);
      }
      if (event.kind === "WATCH_EVENT_KIND_CHANGED") resolve(event);
    });
    stream.on("error", reject);
    stream.on("end", () => reject(new Error("the watch stream ended before a change")));
  });
  const change = await changed;
  stream.removeAllListeners("error");
  stream.on("error", () => {}); // the cancellation below ends the stream with CANCELLED
  stream.cancel();
  const second = await secondPut;
  print("watch", {
    created: events[0].kind === "WATCH_EVENT_KIND_CREATED",
    createdAfter: events[0].index,
    changedKey: text(change.key),
    changedIndex: change.index,
    secondPutIndex: second.modIndex,
  });

  const deleted = await call(kv, "Delete", { key: Buffer.from(key) });
  print("delete", { deleted: deleted.deleted, headerIndex: deleted.header.index });
  const gone = await call(kv, "Get", { key: Buffer.from(key), level: "READ_LEVEL_CONSISTENT" });
  print("get-after-delete", { found: gone.found });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`failed: ${error.code !== undefined ? `status ${error.code} ` : ""}${error.details ?? error.message}`);
    process.exit(1);
  },
);
