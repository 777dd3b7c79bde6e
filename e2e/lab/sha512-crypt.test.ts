import { describe, expect, it } from 'vitest';
import { sha512Crypt } from './sha512-crypt.js';

describe('sha512-crypt for the lab shadow file', () => {
  it('matches the specification’s vector and openssl passwd -6', () => {
    expect(sha512Crypt('Hello world!', 'saltstring')).toBe(
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    );
    expect(sha512Crypt('test', 'abcdefgh')).toBe(
      '$6$abcdefgh$3rj1vTLX64btReFsM4MQ22otcD40l7vbtw7qCyr0dxc4kxNmgx53xVM8gWiLYbCqTHTbXFaVFU7ZT28pnvdyu0',
    );
  });
});
