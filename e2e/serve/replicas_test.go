//go:build unix

package serve

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/presign-dev/presign/internal/e2eproc"
	"github.com/presign-dev/presign/issuer"
)

// TestReplicasOverErasureMinIO: three presign serve replicas that share
// only their configuration (clients and upload_secret) serve one
// multipart upload between them, over a MinIO erasure-coded on four
// drives: created through replica 1, its parts signed by replica 2,
// completed by replica 3. Then a replica is killed (SIGKILL) in the middle
// of an upload, and the upload is resumed (its parts listed) and finished
// through the others.
func TestReplicasOverErasureMinIO(t *testing.T) {
	minioDir := t.TempDir()
	m, err := e2eproc.StartMinIODrives(requireTool(t, "minio"), minioDir, cleanEnv(), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("%v\n%s", err, m.Output())
		}
	})
	const bucket = "presign-replicas"
	if err := m.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	conf, key := writeConfig(t, "")
	env := []string{"AWS_ACCESS_KEY_ID=" + m.Credentials.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + m.Credentials.SecretAccessKey}
	var r [3]*presignServer
	for i := range r {
		r[i] = startPresign(t, key, env, "--config", conf, "--backend", "s3://"+bucket, "--endpoint", m.Endpoint, "--path-style", "--region", "us-east-1")
	}

	putPart := func(data []byte, p issuer.PartURL) issuer.Part {
		t.Helper()
		chunk := data[(p.PartNumber-1)*partSize : min(p.PartNumber*partSize, len(data))]
		status, body, etag := sendETag(t, "PUT", p.URL, p.Headers, chunk)
		if status != http.StatusOK || etag == "" {
			t.Fatalf("part %d: %d %s", p.PartNumber, status, body)
		}
		return issuer.Part{PartNumber: p.PartNumber, ETag: etag}
	}
	signParts := func(s *presignServer, id string, numbers ...int) []issuer.PartURL {
		t.Helper()
		var parts issuer.PartsResponse
		if status, code := s.call(t, "POST", "/v1/uploads/multipart/"+id+"/parts", map[string]any{"partNumbers": numbers}, &parts); status != http.StatusOK {
			t.Fatalf("parts %v: %d %s", numbers, status, code)
		}
		return parts.Parts
	}
	complete := func(s *presignServer, mp *issuer.MultipartResponse, parts []issuer.Part) {
		t.Helper()
		var c issuer.CompleteResponse
		if status, code := s.call(t, "POST", "/v1/uploads/multipart/"+mp.ID+"/complete", map[string]any{"parts": parts}, &c); status != http.StatusOK {
			t.Fatalf("complete: %d %s\n%s", status, code, s.output())
		}
		if c.Key != mp.Key || c.ETag == "" {
			t.Fatalf("complete: %+v", c)
		}
	}
	create := func(s *presignServer, name string, size int) *issuer.MultipartResponse {
		t.Helper()
		var mp issuer.MultipartResponse
		if status, code := s.call(t, "POST", "/v1/uploads/multipart", map[string]any{"filename": name, "contentType": "application/zip", "size": size}, &mp); status != http.StatusOK {
			t.Fatalf("create: %d %s", status, code)
		}
		if mp.PartCount != 2 {
			t.Fatalf("create: %d parts, want 2", mp.PartCount)
		}
		return &mp
	}

	t.Run("created, signed and completed by three replicas", func(t *testing.T) {
		data := content(21, multipartThreshold+4321)
		mp := create(r[0], "spread.zip", len(data))
		var done []issuer.Part
		for _, p := range signParts(r[1], mp.ID, 1, 2) {
			done = append(done, putPart(data, p))
		}
		complete(r[2], mp, done)
		for _, s := range r {
			download(t, s, mp.Key, data, "application/zip")
		}
		// The object is erasure-coded: each of the four drives holds a
		// shard of it.
		for d := 1; d <= 4; d++ {
			dir := filepath.Join(minioDir, "data0", "d"+string(rune('0'+d)), bucket, mp.Key)
			if _, err := os.Stat(filepath.Join(dir, "xl.meta")); err != nil {
				t.Errorf("drive %d holds no shard of %s: %v", d, mp.Key, err)
			}
		}
	})

	t.Run("a replica killed mid-upload", func(t *testing.T) {
		data := content(22, multipartThreshold+777)
		mp := create(r[0], "survivor.zip", len(data))
		first := putPart(data, signParts(r[1], mp.ID, 1)[0])
		kill(t, r[1].process)
		// The client resumes through another replica: the parts storage
		// holds are listed there, and the rest signed and completed.
		var list issuer.ListPartsResponse
		if status, code := r[2].call(t, "GET", "/v1/uploads/multipart/"+mp.ID, nil, &list); status != http.StatusOK {
			t.Fatalf("list parts: %d %s", status, code)
		}
		if len(list.Parts) != 1 || list.Parts[0].PartNumber != 1 || list.Parts[0].ETag != strings.Trim(first.ETag, `"`) {
			t.Fatalf("list parts through replica 3: %+v, want part 1 with ETag %s", list.Parts, first.ETag)
		}
		second := putPart(data, signParts(r[2], mp.ID, 2)[0])
		complete(r[0], mp, []issuer.Part{first, second})
		download(t, r[2], mp.Key, data, "application/zip")
	})
}
