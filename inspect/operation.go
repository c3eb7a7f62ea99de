package inspect

import (
	"slices"
	"strings"
)

// xidMethods maps the operation names the JS SDK writes in x-id to their
// HTTP methods.
var xidMethods = map[string]string{
	"GetObject": "GET", "PutObject": "PUT", "HeadObject": "HEAD", "DeleteObject": "DELETE",
	"CreateMultipartUpload": "POST", "UploadPart": "PUT", "CompleteMultipartUpload": "POST",
	"AbortMultipartUpload": "DELETE", "ListParts": "GET", "UploadPartCopy": "PUT", "CopyObject": "PUT",
	"GetObjectAcl": "GET", "PutObjectAcl": "PUT", "GetObjectTagging": "GET", "PutObjectTagging": "PUT",
	"DeleteObjectTagging": "DELETE", "GetObjectAttributes": "GET", "RestoreObject": "POST",
	"SelectObjectContent": "POST", "GetObjectRetention": "GET", "PutObjectRetention": "PUT",
	"GetObjectLegalHold": "GET", "PutObjectLegalHold": "PUT", "ListObjects": "GET", "ListObjectsV2": "GET",
	"ListObjectVersions": "GET", "ListMultipartUploads": "GET", "HeadBucket": "HEAD", "DeleteObjects": "POST",
	"GetBucketLocation": "GET",
}

// subResources are the query parameters that select an S3 sub-resource or
// an operation's target, in the order they are listed.
var subResources = []string{"uploads", "uploadId", "partNumber", "versionId", "acl", "tagging", "attributes",
	"retention", "legal-hold", "restore", "select", "torrent", "location", "versions", "list-type", "delete"}

// operation decides the method and the operation. method is the caller's,
// upper case, or empty.
func (in *Inspection) operation(method string) {
	for _, name := range subResources {
		if _, n := in.get(name); n > 0 {
			in.SubResources = append(in.SubResources, name)
		}
	}
	has := func(name string) bool { return slices.Contains(in.SubResources, name) }
	xid, _ := in.get("x-id")

	in.Method, in.MethodSource = method, MethodGiven
	if method == "" {
		switch m, ok := xidMethods[xid]; {
		case ok:
			in.Method, in.MethodSource = m, MethodFromXID
		case has("uploads") && in.Key != "":
			in.Method, in.MethodSource = "POST", MethodFromSubres
		case has("uploadId") && has("partNumber"):
			in.Method, in.MethodSource = "PUT", MethodFromSubres
		case has("uploadId"):
			in.Method, in.MethodSource = "", MethodUnknown
		case has("restore") || has("select") || has("delete"):
			in.Method, in.MethodSource = "POST", MethodFromSubres
		default:
			in.Method, in.MethodSource = "GET", MethodAssumed
		}
	}
	if xid != "" && in.MethodSource == MethodGiven {
		if m, ok := xidMethods[xid]; ok && m != in.Method {
			in.add(SeverityError, CodeMethodMismatch, "the URL was made for "+xid+" ("+m+", its x-id says so), but it is used with "+
				in.Method+": the signature covers the method")
		}
	}
	if xid != "" {
		if _, ok := xidMethods[xid]; ok {
			in.Operation = xid
			return
		}
	}
	in.Operation = in.operationFor(in.Method, has)
	if in.MethodSource == MethodUnknown {
		in.add(SeverityInfo, CodeMethodUnknown, "the URL names a multipart upload: it is CompleteMultipartUpload (POST), AbortMultipartUpload (DELETE) or ListParts (GET), which the URL does not say; give the method")
	}
}

// operationFor names the operation of method on the URL's target.
func (in *Inspection) operationFor(method string, has func(string) bool) string {
	object := in.Key != ""
	pick := func(m map[string]string) string { return m[method] }
	switch {
	case method == "":
		return ""
	case has("uploads"):
		if object && method == "POST" {
			return "CreateMultipartUpload"
		}
		if !object && method == "GET" {
			return "ListMultipartUploads"
		}
	case has("uploadId"):
		if has("partNumber") && method == "PUT" {
			return "UploadPart"
		}
		return pick(map[string]string{"POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload", "GET": "ListParts"})
	case has("acl"):
		return pick(map[string]string{"GET": "Get" + level(object) + "Acl", "PUT": "Put" + level(object) + "Acl"})
	case has("tagging"):
		return pick(map[string]string{"GET": "Get" + level(object) + "Tagging", "PUT": "Put" + level(object) + "Tagging", "DELETE": "Delete" + level(object) + "Tagging"})
	case object && has("attributes"):
		return pick(map[string]string{"GET": "GetObjectAttributes"})
	case object && has("retention"):
		return pick(map[string]string{"GET": "GetObjectRetention", "PUT": "PutObjectRetention"})
	case object && has("legal-hold"):
		return pick(map[string]string{"GET": "GetObjectLegalHold", "PUT": "PutObjectLegalHold"})
	case object && has("restore"):
		return pick(map[string]string{"POST": "RestoreObject"})
	case object && has("select"):
		return pick(map[string]string{"POST": "SelectObjectContent"})
	case object && has("torrent"):
		return pick(map[string]string{"GET": "GetObjectTorrent"})
	case !object && has("location"):
		return pick(map[string]string{"GET": "GetBucketLocation"})
	case !object && has("versions"):
		return pick(map[string]string{"GET": "ListObjectVersions"})
	case !object && has("delete"):
		return pick(map[string]string{"POST": "DeleteObjects"})
	case !object:
		if v, _ := in.get("list-type"); v == "2" && method == "GET" {
			return "ListObjectsV2"
		}
		return pick(map[string]string{"GET": "ListObjects", "HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"})
	}
	return pick(map[string]string{"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"})
}

func level(object bool) string {
	if object {
		return "Object"
	}
	return "Bucket"
}

// Guideline categories of operations, with the longest lifetime we
// recommend for each.
type category struct {
	name      string
	limit     int64 // seconds
	limitText string
	why       string
}

var (
	catUpload   = category{"uploads", 15 * 60, "15 minutes", "an upload URL should live only as long as the upload takes to start"}
	catDownload = category{"downloads", 24 * 3600, "24 hours", "links sent by email may need up to 7 days; anything else should not"}
	catAPI      = category{"API access", 15 * 60, "15 minutes", "a URL for an API call should be used at once"}
)

// category returns the guideline category of the operation.
func (in *Inspection) category() category {
	switch in.Operation {
	case "PutObject", "UploadPart", "CreateMultipartUpload", "CompleteMultipartUpload":
		return catUpload
	case "GetObject":
		return catDownload
	}
	if in.Operation == "" && strings.EqualFold(in.Method, "PUT") {
		return catUpload
	}
	return catAPI
}
