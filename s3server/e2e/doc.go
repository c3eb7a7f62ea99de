// Package e2e proves the embedded S3 server (s3server over objstore/disk)
// against real peers: the AWS CLI v2, boto3, the AWS SDK for JavaScript v3,
// and presigned URLs and POST forms made by this module, the JavaScript
// presigners and botocore, used with curl. Its tests start the server on
// 127.0.0.1 and run each client as a subprocess, with a deadline.
//
// # Tools
//
// The tests need Debian's awscli (/usr/bin/aws, AWS CLI v2), python3-boto3
// (/usr/bin/python3) and curl, node, and the npm packages of
// s3server/e2e/js; scripts/install-deps.sh installs them all. A test whose
// tool is missing is skipped with a message saying what to install, except
// under CI=true, where that is a failure.
//
// # Memory and speed
//
// TestMemory sends 1 GiB through a presigned PUT and back through a
// presigned GET to a server in a child process (command server in this
// directory) and checks that its peak resident set stays under 100 MiB; it
// is skipped with -short. The benchmarks measure presigned PUT and GET
// throughput against a plain file copy on the same disk; BENCHMARKS.md at
// the root of the module has the figures and the commands.
package e2e
