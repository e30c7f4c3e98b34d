import { readEnv } from '../../src/env';
import { mediaOrigins, uploadConfig } from '../../src/photos/storage';

const env = (vars: Record<string, string>) => readEnv({ ...vars } as NodeJS.ProcessEnv);

describe('media storage configuration', () => {
  it('without S3_BUCKET: the local provider, with the size limit', () => {
    expect(uploadConfig(env({}))).toEqual({ sizeLimit: 30 * 1024 * 1024 });
    expect(uploadConfig(env({ UPLOAD_MAX_BYTES: '1048576' }))).toEqual({ sizeLimit: 1048576 });
    expect(mediaOrigins(env({}))).toEqual([]);
  });

  it('with S3_BUCKET: the official provider; no ACL unless S3_ACL names one; checksums only when required', () => {
    const config = uploadConfig(env({ S3_BUCKET: 'media', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' })) as {
      provider: string;
      providerOptions: { s3Options: { params: Record<string, unknown>; forcePathStyle: boolean; credentials: unknown; requestChecksumCalculation: string } };
    };
    expect(config.provider).toBe('aws-s3');
    const { s3Options } = config.providerOptions;
    // Present and undefined: the provider sends no ACL (absent, it would send public-read).
    expect('ACL' in s3Options.params).toBe(true);
    expect(s3Options.params).toEqual({ Bucket: 'media', ACL: undefined });
    expect(s3Options).toMatchObject({ forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const acl = uploadConfig(env({ S3_BUCKET: 'media', S3_ACL: 'public-read' })) as typeof config;
    expect(acl.providerOptions.s3Options.params.ACL).toBe('public-read');
    expect(() => env({ S3_BUCKET: 'media', S3_ACL: 'everyone' })).toThrow(/S3_ACL/);
  });

  it('the origins the CSP allows images from: path-style endpoint, virtual-hosted bucket, a CDN, AWS by default', () => {
    expect(mediaOrigins(env({ S3_BUCKET: 'media', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' }))).toEqual(['http://127.0.0.1:9000']);
    expect(mediaOrigins(env({ S3_BUCKET: 'media', S3_ENDPOINT: 'https://s3.example.com' }))).toEqual(['https://s3.example.com', 'https://media.s3.example.com']);
    expect(mediaOrigins(env({ S3_BUCKET: 'media', S3_PUBLIC_URL: 'https://cdn.example.com/media' }))).toEqual(['https://cdn.example.com']);
    expect(mediaOrigins(env({ S3_BUCKET: 'media', S3_REGION: 'eu-west-1' }))).toEqual(['https://media.s3.eu-west-1.amazonaws.com']);
  });
});
