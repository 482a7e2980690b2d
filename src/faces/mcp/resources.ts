/**
 * Resources: each library script at `scriptbox://scripts/{name}` (its current source), each template at
 * `scriptbox://templates/{pack}/{name}` (one JSON document: description, language, parameters with their
 * JSON Schema, example, and the template text).
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { TemplateRegistry } from '../../generate/registry.js';
import type { Library, LibraryLanguage } from '../../library/index.js';
import { toMcpError } from './errors.js';

export const SCRIPTS_URI = 'scriptbox://scripts/{name}';
export const TEMPLATES_URI = 'scriptbox://templates/{pack}/{name}';

const MIME_BY_LANGUAGE: Record<LibraryLanguage, string> = {
  python: 'text/x-python',
  javascript: 'text/javascript',
  typescript: 'text/x-typescript',
  bash: 'text/x-shellscript',
};

export const scriptUri = (name: string): string => `scriptbox://scripts/${encodeURIComponent(name)}`;
export const templateUri = (id: string): string =>
  `scriptbox://templates/${id.split('/').map(encodeURIComponent).join('/')}`;

function variable(variables: Variables, key: string): string {
  const value = variables[key];
  return decodeURIComponent((Array.isArray(value) ? value[0] : value) ?? '');
}

/** A read's answer, or its error as a JSON-RPC error by the error table (LIBRARY_NOT_FOUND: -32002). */
function answer<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw toMcpError(err);
  }
}

const startingWith = (names: string[], prefix: string): string[] =>
  names.filter((name) => name.startsWith(prefix)).slice(0, 100);

export function registerResources(server: McpServer, library: Library, templates: TemplateRegistry): void {
  const scripts = new ResourceTemplate(SCRIPTS_URI, {
    list: () => ({
      resources: library.list().map((script) => ({
        uri: scriptUri(script.name),
        name: script.name,
        description: script.description || `${script.language} script, version ${script.currentVersion}`,
        mimeType: MIME_BY_LANGUAGE[script.language],
      })),
    }),
    complete: {
      name: (value) =>
        startingWith(
          library.list().map((script) => script.name),
          value,
        ),
    },
  });
  server.registerResource(
    'scripts',
    scripts,
    { title: 'Library scripts', description: 'The current source of each saved script' },
    (uri, variables) =>
      answer(() => {
        const script = library.get(variable(variables, 'name'));
        const mimeType = MIME_BY_LANGUAGE[script.language];
        return { contents: [{ uri: uri.href, mimeType, text: script.source }] };
      }),
  );

  const packs = new ResourceTemplate(TEMPLATES_URI, {
    list: () => ({
      resources: templates.list().map((template) => ({
        uri: templateUri(template.id),
        name: template.id,
        description: template.description,
        mimeType: 'application/json',
      })),
    }),
    complete: {
      pack: (value) => startingWith([...new Set(templates.list().map((t) => t.pack))], value),
      name: (value, context) =>
        startingWith(
          templates
            .list()
            .filter((t) => context?.arguments?.['pack'] === undefined || t.pack === context.arguments['pack'])
            .map((t) => t.name),
          value,
        ),
    },
  });
  server.registerResource(
    'templates',
    packs,
    { title: 'Templates', description: 'Template packs: parameters, JSON Schema, example and template text' },
    (uri, variables) =>
      answer(() => {
        const details = templates.show(`${variable(variables, 'pack')}/${variable(variables, 'name')}`);
        const { id, description, language, params, paramsJsonSchema, example, tags, template } = details;
        const document = { id, description, language, params, paramsJsonSchema, example, tags, template };
        return {
          contents: [
            { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(document, null, 2) },
          ],
        };
      }),
  );
}
