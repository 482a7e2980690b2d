/**
 * multipart/form-data bodies as the fake Bot API server receives them. grammY writes part headers the
 * way Telegram accepts but Node's own parser (Request.formData()) rejects: `content-disposition:form-data;
 * name="x";filename=chart one.png` (no spaces, unquoted file names that may hold spaces and semicolons),
 * so the fake reads them with this lenient parser.
 */

export interface Part {
  name: string;
  /** Set for file parts. */
  filename?: string;
  data: Buffer;
}

export function parseMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const value = boundary?.[1] ?? boundary?.[2];
  if (!value) throw new Error('multipart/form-data without a boundary');
  const delimiter = Buffer.from(`--${value}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error('multipart/form-data body without its boundary');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    at += 2; // CRLF after the delimiter
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) throw new Error('multipart part without the blank line after its headers');
    const headers = body.subarray(at, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('multipart part without a closing boundary');
    parts.push({ ...disposition(headers), data: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
}

function disposition(headers: string): { name: string; filename?: string } {
  const line = headers.split('\r\n').find((header) => /^content-disposition\s*:/i.test(header)) ?? '';
  const name = /\bname="([^"]*)"|\bname=([^;\s]+)/i.exec(line);
  const filename = /\bfilename="([^"]*)"|\bfilename=(.*)$/i.exec(line);
  const partName = name?.[1] ?? name?.[2];
  if (partName === undefined) throw new Error(`multipart part without a name: ${line}`);
  const file = filename?.[1] ?? filename?.[2];
  return file === undefined ? { name: partName } : { name: partName, filename: file };
}
