/**
 * Compressed request messages (grpc-encoding gzip or deflate) inflated on
 * libuv's thread pool, so that a large or hostile message does not stall the
 * event loop; the output stops at the message size limit.
 */
import { gunzip, inflate, type InputType, type ZlibOptions } from 'node:zlib';
import { SwitchyardError } from '../../runtime/errors.js';

type Inflater = (buffer: InputType, options: ZlibOptions, callback: (error: Error | null, result: Buffer) => void) => void;

const INFLATERS: Readonly<Record<'gzip' | 'deflate', Inflater>> = { gzip: gunzip, deflate: inflate };

export function decompress(message: Buffer, encoding: 'gzip' | 'deflate', maxMessageBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    INFLATERS[encoding](message, { maxOutputLength: maxMessageBytes }, (error, result) => {
      if (!error) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        reject(new SwitchyardError('SY_ERR_BODY_TOO_LARGE', `a ${encoding}-compressed message decompresses to more than this server's limit of ${maxMessageBytes} bytes per message`));
      }
      else reject(new SwitchyardError('SY_ERR_INVALID_REQUEST', `a ${encoding}-compressed message does not decompress: ${error.message}`));
    });
  });
}
