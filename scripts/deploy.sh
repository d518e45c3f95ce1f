#!/usr/bin/env bash
# npm run deploy -- <stage> [serverless flags]: upload the media layer (ffmpeg, ffprobe, fonts) to
# MEDIA_LAYER_BUCKET under its content hash, then `serverless deploy` with that key.
set -euo pipefail
stage="${1:?usage: npm run deploy -- <stage> [flags]}"; shift
: "${MEDIA_LAYER_BUCKET:?set MEDIA_LAYER_BUCKET to an S3 bucket (same region) for build artifacts}"
eval "$(node scripts/build-media-layer.ts --upload "$MEDIA_LAYER_BUCKET" | grep '^MEDIA_LAYER_' | sed 's/^/export /')"
echo "media layer: s3://$MEDIA_LAYER_BUCKET/$MEDIA_LAYER_KEY"
# Its own bundle folder: a deploy never wipes the bundles a running `npm run dev` serves (.esbuild).
export ESBUILD_WORK_FOLDER="${ESBUILD_WORK_FOLDER:-.esbuild-deploy}"
exec serverless deploy --stage "$stage" "$@"
