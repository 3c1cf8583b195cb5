/**
 * protoc plugin (run by `npm run gen` through buf.gen.k8s.yaml): turns the Kubernetes messages in
 * proto/k8s into src/gen/k8s/schema.ts, the table the protobuf body decoder walks. The .proto
 * files stay the one source of truth; the table is plain data (field number → JSON name, type,
 * Go shape), so the decoder needs no generated code per message and the diff of a regenerated
 * table reads like the diff of the .proto that caused it.
 */
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import {
  CodeGeneratorRequestSchema,
  CodeGeneratorResponseSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type CodeGeneratorRequest,
  type DescriptorProto,
  type FieldDescriptorProto,
} from '@bufbuild/protobuf/wkt';

/** The field number of (k8ts.gojson.shape) in proto/k8s/gojson.proto. */
const SHAPE_EXTENSION_NUMBER = 51700;
/** gojson.Shape values, by number, as the table spells them (OMITEMPTY is the unset default). */
const SHAPE_NAMES = ['', 'pointer', 'always', 'inline'];
const OUTPUT_FILE = 'k8s/schema.ts';

const SCALAR_NAMES: Partial<Record<FieldDescriptorProto_Type, string>> = {
  [FieldDescriptorProto_Type.DOUBLE]: 'double',
  [FieldDescriptorProto_Type.FLOAT]: 'float',
  [FieldDescriptorProto_Type.INT64]: 'int64',
  [FieldDescriptorProto_Type.UINT64]: 'uint64',
  [FieldDescriptorProto_Type.INT32]: 'int32',
  [FieldDescriptorProto_Type.UINT32]: 'uint32',
  [FieldDescriptorProto_Type.BOOL]: 'bool',
  [FieldDescriptorProto_Type.STRING]: 'string',
  [FieldDescriptorProto_Type.BYTES]: 'bytes',
};

function typeName(field: FieldDescriptorProto): { type: string; ref?: string } {
  if (field.type === FieldDescriptorProto_Type.MESSAGE) {
    return { type: 'message', ref: field.typeName.replace(/^\./, '') };
  }
  const scalar = SCALAR_NAMES[field.type];
  if (scalar === undefined) {
    throw new Error(`${field.name}: type ${FieldDescriptorProto_Type[field.type]} not supported`);
  }
  return { type: scalar };
}

function shapeOf(field: FieldDescriptorProto): string {
  for (const u of field.options?.$unknown ?? []) {
    if (u.no !== SHAPE_EXTENSION_NUMBER) continue;
    const shape = SHAPE_NAMES[new BinaryReader(u.data).uint32()];
    if (shape === undefined) throw new Error(`${field.name}: unknown gojson.Shape`);
    return shape;
  }
  return '';
}

/** fieldLine renders one field as an object literal with only the non-default properties. */
function fieldLine(field: FieldDescriptorProto, message: DescriptorProto, pkg: string): string {
  const props: string[] = [`json: '${field.jsonName || field.name}'`];
  let { type, ref } = typeName(field);
  const entry = message.nestedType.find((n) => ref === `${pkg}.${message.name}.${n.name}`);
  if (entry?.options?.mapEntry) {
    const [key, value] = entry.field;
    if (key === undefined || value === undefined) throw new Error(`${field.name}: bad map`);
    ({ type, ref } = typeName(value));
    props.push(`type: '${type}'`, ...(ref ? [`ref: '${ref}'`] : []));
    props.push(`mapKey: '${typeName(key).type}'`);
  } else {
    props.push(`type: '${type}'`, ...(ref ? [`ref: '${ref}'`] : []));
    if (field.label === FieldDescriptorProto_Label.REPEATED) props.push('repeated: true');
  }
  const shape = shapeOf(field);
  if (shape) props.push(`shape: '${shape}'`);
  return `    ${field.number}: { ${props.join(', ')} },`;
}

const HEADER =
  '// Code generated from proto/k8s by src/api/protobuf/schema-plugin.ts. DO NOT EDIT.';

const PREAMBLE = `${HEADER}
/* eslint-disable */

/** A protobuf scalar type as the decoder reads it. */
export type ScalarType =
  'double' | 'float' | 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'string' | 'bytes';

/** One field of a Kubernetes message (k8ts.gojson.shape absent = omitempty). */
export interface FieldSchema {
  /** The field's JSON name. */
  readonly json: string;
  /** The field's type; for a map, the value's type. */
  readonly type: ScalarType | 'message';
  /** The full name of the message type when type is 'message'. */
  readonly ref?: string;
  readonly repeated?: true;
  /** Set for map fields: the key's type. */
  readonly mapKey?: ScalarType;
  readonly shape?: 'pointer' | 'always' | 'inline';
}

/** A message's fields by field number. */
export type MessageSchema = { readonly [fieldNumber: number]: FieldSchema };

/** Every message in proto/k8s by its full name (package.Message). */
export const KUBE_MESSAGES: { readonly [fullName: string]: MessageSchema } = {
`;

/** byName orders by code unit, so the output never depends on the locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function render(files: CodeGeneratorRequest): string {
  const lines: string[] = [];
  const wanted = new Set(files.fileToGenerate);
  const messages = files.protoFile
    .filter((f) => wanted.has(f.name))
    .flatMap((f) => f.messageType.map((m) => ({ pkg: f.package, m })))
    .sort((a, b) => byName(`${a.pkg}.${a.m.name}`, `${b.pkg}.${b.m.name}`));
  for (const { pkg, m } of messages) {
    lines.push(`  '${pkg}.${m.name}': {`);
    const fields = [...m.field].sort((a, b) => a.number - b.number);
    for (const field of fields) lines.push(fieldLine(field, m, pkg));
    lines.push('  },');
  }
  return `${PREAMBLE}${lines.join('\n')}\n};\n`;
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = fromBinary(CodeGeneratorRequestSchema, Buffer.concat(chunks));
  const response = create(CodeGeneratorResponseSchema, {
    file: [{ name: OUTPUT_FILE, content: render(request) }],
  });
  process.stdout.write(toBinary(CodeGeneratorResponseSchema, response));
}

await main();
