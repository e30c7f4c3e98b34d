import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Checks answers against an OpenAPI 3.1 document: the operation for a method and path (the
 * document's templates, literal ones first), then the schema of the answer's status and content
 * type, with ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect) and ajv-formats.
 */
type Json = Record<string, any>;

export interface Answer {
  method: string;
  /** The path, with or without its query string. */
  url: string;
  status: number;
  contentType: string;
  body: string;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export class Contract {
  private readonly ajv: Ajv2020;
  private readonly templates: Array<{ template: string; pattern: RegExp; params: number }>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // The whole document as one schema resource: `#/components/schemas/…` resolves in it.
    this.ajv.addSchema(document, 'openapi');
    this.templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`),
        params: (template.match(/\{/g) ?? []).length,
      }))
      .sort((a, b) => a.params - b.params);
  }

  /** The document's path template for a request path, if it has one. */
  template(method: string, url: string): string | undefined {
    const path = url.split('?')[0];
    return this.templates.find((t) => t.pattern.test(path) && this.document.paths[t.template][method.toLowerCase()])?.template;
  }

  /** What is wrong with an answer by the document ([] when nothing), or null when its path is not in it. */
  check(answer: Answer): string[] | null {
    const template = this.template(answer.method, answer.url);
    if (!template) return null;
    const method = answer.method.toLowerCase();
    const responses = this.document.paths[template][method].responses as Json;
    let pointer = `/paths/${escapePointer(template)}/${method}/responses/${answer.status}`;
    let response = responses[String(answer.status)];
    if (!response) return [`status ${answer.status} is not documented for ${method.toUpperCase()} ${template}`];
    if (response.$ref) {
      pointer = (response.$ref as string).slice(1);
      response = this.document.components.responses[(response.$ref as string).split('/').pop() as string];
    }
    const content = response.content as Json | undefined;
    if (!content) return answer.body === '' ? [] : [`${answer.status} of ${template} is documented without a body, got ${answer.body.slice(0, 80)}`];
    const mediaType = answer.contentType.split(';')[0].trim();
    if (!(mediaType in content)) return [`${answer.status} of ${template} is documented as ${Object.keys(content).join(', ')}, answered ${mediaType}`];
    if (!mediaType.endsWith('json')) return typeof answer.body === 'string' ? [] : ['not text'];
    const validate = this.validator(`${pointer}/content/${escapePointer(mediaType)}/schema`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      return [`not JSON: ${answer.body.slice(0, 80)}`];
    }
    return validate(parsed) ? [] : (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** Whether a parsed body is valid for the operation's answer (to test the schemas themselves). */
  validates(method: string, template: string, status: number, body: unknown, mediaType = 'application/json'): boolean {
    const response = this.document.paths[template][method].responses[String(status)];
    const pointer = response.$ref ? (response.$ref as string).slice(1) : `/paths/${escapePointer(template)}/${method}/responses/${status}`;
    return this.validator(`${pointer}/content/${escapePointer(mediaType)}/schema`)(body) as boolean;
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi#${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }
}
