package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

func TestStatic(t *testing.T) {
	c, err := Static{AccessKeyID: "AKID", SecretAccessKey: "s"}.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKID" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []Static{{SecretAccessKey: "s"}, {AccessKeyID: "AKID"}} {
		if _, err := bad.Retrieve(context.Background()); err == nil {
			t.Errorf("%#v accepted", sigv4.Credentials(bad))
		}
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    sigv4.Credentials
		wantErr string
	}{
		{"standard names", map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "tok"},
			sigv4.Credentials{AccessKeyID: "AKID", SecretAccessKey: "s", SessionToken: "tok"}, ""},
		{"legacy names", map[string]string{"AWS_ACCESS_KEY": "AKID", "AWS_SECRET_KEY": "s"},
			sigv4.Credentials{AccessKeyID: "AKID", SecretAccessKey: "s"}, ""},
		{"with expiry", map[string]string{"AWS_ACCESS_KEY_ID": "ASIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_CREDENTIAL_EXPIRATION": "2026-01-15T13:00:00Z"},
			sigv4.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "s", Expires: time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC)}, ""},
		{"bad expiry", map[string]string{"AWS_ACCESS_KEY_ID": "ASIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_CREDENTIAL_EXPIRATION": "tomorrow"},
			sigv4.Credentials{}, "RFC 3339"},
		{"no secret", map[string]string{"AWS_ACCESS_KEY_ID": "AKID"}, sigv4.Credentials{}, "AWS_SECRET_ACCESS_KEY"},
		{"nothing", nil, sigv4.Credentials{}, "AWS_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"} {
				t.Setenv(n, tt.env[n])
			}
			got, err := Env{}.Retrieve(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v %v, want %+v", got, err, tt.want)
			}
		})
	}
	if !errors.Is(func() error {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		_, err := (Env{}).Retrieve(context.Background())
		return err
	}(), ErrNoEnvCredentials) {
		t.Error("missing credentials are not ErrNoEnvCredentials")
	}
}

func TestProviderFunc(t *testing.T) {
	p := ProviderFunc(func(context.Context) (sigv4.Credentials, error) { return sigv4.Credentials{AccessKeyID: "X"}, nil })
	if c, _ := p.Retrieve(context.Background()); c.AccessKeyID != "X" {
		t.Error("ProviderFunc did not call its function")
	}
}
