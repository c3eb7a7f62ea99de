package s3server

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
	"github.com/presign-dev/presign/sigv4"
)

// Canned bucket ACLs. A bucket is private unless its ACL says otherwise:
// x-amz-acl on CreateBucket or PutBucketAcl sets it, the store keeps it
// (objstore.BucketConfigs, the document "acl"), and GetBucketAcl reports
// it as S3's grants. An anonymous request (no signature at all) is let
// through where S3 would let it: public-read reads objects and lists the
// bucket; public-read-write also writes and deletes objects (multipart
// uploads included) and takes POST forms without a policy. Anything else
// anonymous is AccessDenied. Signed requests are not affected.
const (
	aclPrivate         = "private"
	aclPublicRead      = "public-read"
	aclPublicReadWrite = "public-read-write"
	aclAuthRead        = "authenticated-read"
)

// aclConfigName is the name of the ACL document in the store.
const aclConfigName = "acl"

// cannedACL checks the x-amz-acl value v of a bucket request.
func cannedACL(v string) (string, error) {
	switch v {
	case aclPrivate, aclPublicRead, aclPublicReadWrite, aclAuthRead:
		return v, nil
	case "":
		return aclPrivate, nil
	}
	return "", s3err.New(s3err.InvalidArgument, "Invalid canned ACL %q: use private, public-read, public-read-write or authenticated-read.", v).
		With("ArgumentName", "x-amz-acl").With("ArgumentValue", v)
}

// bucketACL returns the canned ACL of bucket ("private" when none is set
// or the store keeps none).
func (h *Handler) bucketACL(ctx context.Context, bucket string) string {
	acl, ok := h.aclCache.lookup(ctx, h.store, bucket, aclConfigName, func(doc []byte, found bool) string {
		if !found {
			return aclPrivate
		}
		return string(doc)
	})
	if !ok {
		return aclPrivate
	}
	return acl
}

// setACL stores the canned ACL of bucket.
func (h *Handler) setACL(ctx context.Context, bucket, acl string) error {
	bc, ok := h.store.(objstore.BucketConfigs)
	if !ok {
		if acl == aclPrivate {
			return nil
		}
		return notImplemented("x-amz-acl")
	}
	var err error
	if acl == aclPrivate {
		err = bc.DeleteBucketConfig(ctx, bucket, aclConfigName)
	} else {
		err = bc.PutBucketConfig(ctx, bucket, aclConfigName, []byte(acl))
	}
	h.aclCache.forget(bucket)
	return err
}

// anonymous reports whether r carries no authentication at all.
func anonymous(r *http.Request) bool {
	return r.Header.Get("Authorization") == "" && !sigv4.IsPresigned(r) && !strings.Contains(r.URL.RawQuery, "Signature=")
}

// anonymousAllowed reports whether the bucket's ACL lets an anonymous
// request do what r does.
func (h *Handler) anonymousAllowed(r *http.Request, st *reqState) bool {
	acl := h.bucketACL(r.Context(), st.bucket)
	if acl != aclPublicRead && acl != aclPublicReadWrite {
		return false
	}
	q := r.URL.Query()
	sub := subresource(q)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if st.key == "" {
			return sub == "" // ListObjects, HeadBucket; not ?acl, ?cors, ?uploads...
		}
		return !q.Has("uploadId") // GetObject, HeadObject; not ListParts
	}
	if acl != aclPublicReadWrite || st.key == "" && !(r.Method == http.MethodPost && sub == "") {
		return false
	}
	switch r.Method {
	case http.MethodPut:
		return r.Header.Get("X-Amz-Copy-Source") == "" // PutObject, UploadPart; no copies
	case http.MethodDelete:
		return true // DeleteObject, AbortMultipartUpload
	case http.MethodPost:
		return true // CreateMultipartUpload, CompleteMultipartUpload, a form
	}
	return false
}

// accessControlPolicy is GetBucketAcl's answer.
type accessControlPolicy struct {
	XMLName xml.Name   `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner   owner      `xml:"Owner"`
	Grants  []aclGrant `xml:"AccessControlList>Grant"`
}

type aclGrant struct {
	Grantee    grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

type grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

const (
	xsiNamespace   = "http://www.w3.org/2001/XMLSchema-instance"
	allUsers       = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersGroup = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// getBucketACL is GetBucketAcl: GET /bucket?acl.
func (h *Handler) getBucketACL(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	if _, err := h.store.HeadBucket(r.Context(), bucket); err != nil {
		return err
	}
	res := accessControlPolicy{Owner: theOwner, Grants: []aclGrant{{
		Grantee:    grantee{XMLNSXSI: xsiNamespace, Type: "CanonicalUser", ID: theOwner.ID, DisplayName: theOwner.DisplayName},
		Permission: "FULL_CONTROL",
	}}}
	group := func(uri, perm string) {
		res.Grants = append(res.Grants, aclGrant{Grantee: grantee{XMLNSXSI: xsiNamespace, Type: "Group", URI: uri}, Permission: perm})
	}
	switch h.bucketACL(r.Context(), bucket) {
	case aclPublicRead:
		group(allUsers, "READ")
	case aclPublicReadWrite:
		group(allUsers, "READ")
		group(allUsers, "WRITE")
	case aclAuthRead:
		group(authUsersGroup, "READ")
	}
	return writeXML(w, http.StatusOK, &res)
}

// putBucketACL is PutBucketAcl: PUT /bucket?acl with a canned x-amz-acl.
func (h *Handler) putBucketACL(w http.ResponseWriter, r *http.Request) error {
	bucket, _ := bucketKey(r)
	v := r.Header.Get("X-Amz-Acl")
	if v == "" {
		return notImplemented("an AccessControlPolicy document (this store takes canned ACLs: x-amz-acl)")
	}
	acl, err := cannedACL(v)
	if err != nil {
		return err
	}
	if _, err := h.store.HeadBucket(r.Context(), bucket); err != nil {
		return err
	}
	if err := h.setACL(r.Context(), bucket, acl); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
