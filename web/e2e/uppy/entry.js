// The real Uppy from npm (the versions package-lock.json pins), bundled by
// esbuild for the Uppy test's page: the packages a site would use.
export { default as Uppy } from '@uppy/core';
export { default as Dashboard } from '@uppy/dashboard';
export { default as AwsS3 } from '@uppy/aws-s3';
export { default as GoldenRetriever } from '@uppy/golden-retriever';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
