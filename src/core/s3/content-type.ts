import { readFileSync } from 'node:fs';

/**
 * Content-Type the way the aws CLI picks it (`aws s3 cp`/`sync` call Python's mimetypes.guess_type on the file
 * name): Python's built-in table, then the system's /etc/mime.types on top (Python reads it too), compression
 * suffixes looked through (`x.tar.gz` is application/x-tar, as for the CLI), the extension tried as written and
 * then in lower case. No match: no Content-Type, and S3 answers binary/octet-stream, as for the CLI.
 */
const PYTHON_TYPES: Record<string, string> = {
  'application/javascript': 'js mjs',
  'application/json': 'json',
  'application/manifest+json': 'webmanifest',
  'application/msword': 'doc dot wiz',
  'application/n-quads': 'nq',
  'application/n-triples': 'nt',
  'application/octet-stream': 'a bin dll exe o obj so',
  'application/oda': 'oda',
  'application/pdf': 'pdf',
  'application/pkcs7-mime': 'p7c',
  'application/postscript': 'ai eps ps',
  'application/trig': 'trig',
  'application/vnd.apple.mpegurl': 'm3u m3u8',
  'application/vnd.ms-excel': 'xlb xls',
  'application/vnd.ms-powerpoint': 'pot ppa pps ppt pwz',
  'application/wasm': 'wasm',
  'application/x-bcpio': 'bcpio',
  'application/x-cpio': 'cpio',
  'application/x-csh': 'csh',
  'application/x-dvi': 'dvi',
  'application/x-gtar': 'gtar',
  'application/x-hdf': 'hdf',
  'application/x-hdf5': 'h5',
  'application/x-latex': 'latex',
  'application/x-mif': 'mif',
  'application/x-netcdf': 'cdf nc',
  'application/x-pkcs12': 'p12 pfx',
  'application/x-pn-realaudio': 'ram',
  'application/x-python-code': 'pyc pyo',
  'application/x-sh': 'sh',
  'application/x-shar': 'shar',
  'application/x-shockwave-flash': 'swf',
  'application/x-sv4cpio': 'sv4cpio',
  'application/x-sv4crc': 'sv4crc',
  'application/x-tar': 'tar',
  'application/x-tcl': 'tcl',
  'application/x-tex': 'tex',
  'application/x-texinfo': 'texi texinfo',
  'application/x-troff': 'roff t tr',
  'application/x-troff-man': 'man',
  'application/x-troff-me': 'me',
  'application/x-troff-ms': 'ms',
  'application/x-ustar': 'ustar',
  'application/x-wais-source': 'src',
  'application/xml': 'rdf wsdl xpdl xsl',
  'application/zip': 'zip',
  'audio/3gpp': '3gp 3gpp',
  'audio/3gpp2': '3g2 3gpp2',
  'audio/aac': 'aac adts ass loas',
  'audio/basic': 'au snd',
  'audio/mpeg': 'mp2 mp3',
  'audio/opus': 'opus',
  'audio/x-aiff': 'aif aifc aiff',
  'audio/x-pn-realaudio': 'ra',
  'audio/x-wav': 'wav',
  'image/avif': 'avif',
  'image/bmp': 'bmp',
  'image/gif': 'gif',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/ief': 'ief',
  'image/jpeg': 'jpe jpeg jpg',
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/tiff': 'tif tiff',
  'image/vnd.microsoft.icon': 'ico',
  'image/x-cmu-raster': 'ras',
  'image/x-portable-anymap': 'pnm',
  'image/x-portable-bitmap': 'pbm',
  'image/x-portable-graymap': 'pgm',
  'image/x-portable-pixmap': 'ppm',
  'image/x-rgb': 'rgb',
  'image/x-xbitmap': 'xbm',
  'image/x-xpixmap': 'xpm',
  'image/x-xwindowdump': 'xwd',
  'message/rfc822': 'eml mht mhtml nws',
  'text/css': 'css',
  'text/csv': 'csv',
  'text/html': 'htm html',
  'text/n3': 'n3',
  'text/plain': 'bat c h ksh pl srt txt',
  'text/richtext': 'rtx',
  'text/tab-separated-values': 'tsv',
  'text/vtt': 'vtt',
  'text/x-python': 'py',
  'text/x-setext': 'etx',
  'text/x-sgml': 'sgm sgml',
  'text/x-vcard': 'vcf',
  'text/xml': 'xml',
  'video/mp4': 'mp4',
  'video/mpeg': 'm1v mpa mpe mpeg mpg',
  'video/quicktime': 'mov qt',
  'video/webm': 'webm',
  'video/x-msvideo': 'avi',
  'video/x-sgi-movie': 'movie',
};

const SUFFIXES: Record<string, string> = {'.svgz': '.svg.gz', '.tgz': '.tar.gz', '.taz': '.tar.gz', '.tz': '.tar.gz', '.tbz2': '.tar.bz2', '.txz': '.tar.xz'};
const ENCODINGS = new Set(['.gz', '.Z', '.bz2', '.xz', '.br']);

export type ContentTypes = (name: string) => string | undefined;

/** Reads the system table once; the returned guesser is what a run uses for every file. */
export function contentTypeGuesser(systemTable = '/etc/mime.types'): ContentTypes {
  const table = new Map<string, string>();
  for (const [type, exts] of Object.entries(PYTHON_TYPES)) for (const ext of exts.split(' ')) table.set(`.${ext}`, type);
  let text = '';
  try {
    text = readFileSync(systemTable, 'utf8');
  } catch {
    // No system table: Python's own is what the CLI would use too.
  }
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    const type = words.shift();
    if (type) for (const ext of words) table.set(`.${ext}`, type);
  }
  return (name) => guess(table, name.slice(name.lastIndexOf('/') + 1));
}

function guess(table: Map<string, string>, base: string): string | undefined {
  let name = base;
  let ext = extension(name);
  while (SUFFIXES[ext] !== undefined) {
    name = name.slice(0, -ext.length) + SUFFIXES[ext]!;
    ext = extension(name);
  }
  if (ENCODINGS.has(ext)) {
    name = name.slice(0, -ext.length);
    ext = extension(name);
  }
  return table.get(ext) ?? table.get(ext.toLowerCase());
}

/** Python's os.path.splitext: the last dot that is not leading the name. */
function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(name.slice(0, dot + 1))) return '';
  return name.slice(dot);
}
