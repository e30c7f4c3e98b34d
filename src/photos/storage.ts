import type { Env } from '../env';

/**
 * Where the media library keeps files. One instance: the local provider (`public/uploads`). With
 * `S3_BUCKET`: S3-compatible storage through Strapi's official provider, so every instance serves
 * the same files. Checksums are sent only when an operation requires them: S3-compatible stores
 * other than AWS do not all accept the SDK's default trailing checksums.
 */
export function uploadConfig(env: Env): Record<string, unknown> {
  const base = { sizeLimit: env.UPLOAD_MAX_BYTES };
  if (!env.S3_BUCKET) return base;
  return {
    ...base,
    provider: 'aws-s3',
    providerOptions: {
      ...(env.S3_PUBLIC_URL ? { baseUrl: env.S3_PUBLIC_URL } : {}),
      s3Options: {
        region: env.S3_REGION,
        ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
        forcePathStyle: env.S3_FORCE_PATH_STYLE,
        ...(env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
          ? { credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY } }
          : {}),
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // ACL present but undefined: the provider then sends none (absent, it would send public-read).
        params: { Bucket: env.S3_BUCKET, ACL: env.S3_ACL },
      },
    },
    actionOptions: { upload: {}, uploadStream: {}, delete: {} },
  };
}

/** Origins the admin loads media from besides its own: the bucket's or its CDN's. */
export function mediaOrigins(env: Env): string[] {
  if (!env.S3_BUCKET) return [];
  const origins = new Set<string>();
  for (const url of [env.S3_PUBLIC_URL, env.S3_ENDPOINT]) if (url) origins.add(new URL(url).origin);
  // Without path-style addressing the SDK puts the bucket in the host name.
  if (env.S3_ENDPOINT && !env.S3_FORCE_PATH_STYLE) {
    const endpoint = new URL(env.S3_ENDPOINT);
    origins.add(`${endpoint.protocol}//${env.S3_BUCKET}.${endpoint.host}`);
  }
  if (!env.S3_ENDPOINT && !env.S3_PUBLIC_URL) origins.add(`https://${env.S3_BUCKET}.s3.${env.S3_REGION}.amazonaws.com`);
  return [...origins];
}
