package s3server

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/presign-dev/presign/objstore"
	"github.com/presign-dev/presign/s3err"
)

// s3NS is the namespace of S3's XML documents.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// xmlTimeFormat is how S3 writes times in XML: ISO 8601 with milliseconds.
const xmlTimeFormat = "2006-01-02T15:04:05.000Z"

// xmlTime formats t as S3 does in XML documents.
func xmlTime(t time.Time) string { return t.UTC().Format(xmlTimeFormat) }

// quoteETag returns etag in double quotes, as S3 sends it.
func quoteETag(etag string) string { return `"` + strings.Trim(etag, `"`) + `"` }

// writeXML writes v as the XML document of a response with the status.
func writeXML(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return nil // the client went away; nothing more to send
	}
	xml.NewEncoder(w).Encode(v)
	return nil
}

// writeXMLBody writes v as XML to a response whose XML declaration and
// status were already sent.
func writeXMLBody(w io.Writer, v any) {
	xml.NewEncoder(w).Encode(v)
}

// maxXMLBody is the largest XML request body read: a DeleteObjects of
// 1000 keys of 1024 bytes, escaped, fits.
const maxXMLBody = 8 << 20

// readXML reads the whole body of r, at most maxXMLBody bytes (after the
// body's checks: an error of theirs is returned), and decodes it into v,
// strictly: an element v does not know is MalformedXML. v's struct types
// catch unknown elements with an `xml:",any"` field called Unknown. An
// empty body is errEmptyBody.
func readXML(r *http.Request, v interface{ unknown() []string }) error {
	if r.Body == nil {
		return errEmptyBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxXMLBody {
		return s3err.New(s3err.MalformedXML, "The XML you provided is larger than %d bytes.", maxXMLBody)
	}
	// A large document is parsed in the lane of large requests, once it
	// has all come: a slow client never holds a slot while it sends.
	if len(body) > heavyBody {
		if err := enterLane(r); err != nil {
			return err
		}
		defer stateOf(r).leaveLane()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errEmptyBody
	}
	// A document may bound what it holds before it is parsed: parsing is
	// the expensive part (about 50 ms a MiB).
	if pc, ok := v.(interface{ precheck([]byte) error }); ok {
		if err := pc.precheck(body); err != nil {
			return err
		}
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if u := v.unknown(); len(u) > 0 {
		return s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: unknown element <%s>", u[0])
	}
	return nil
}

// readCheckedXML is readXML of a body whose declared Content-MD5 or
// checksum (header or aws-chunked trailer) is checked as it is read.
func readCheckedXML(r *http.Request, v interface{ unknown() []string }) error {
	decl, err := parseIntegrity(r.Header)
	if err != nil {
		return err
	}
	r.Body = readCloser{newCheckedBody(r.Body, decl, nil, stateOf(r).trailer), r.Body}
	return readXML(r, v)
}

// anyElems catches the unknown elements of a request document.
type anyElems []struct {
	XMLName xml.Name
}

func (a anyElems) names() []string {
	var out []string
	for _, e := range a {
		out = append(out, e.XMLName.Local)
	}
	return out
}

// errEmptyBody is readXML's error for an empty body.
var errEmptyBody = s3err.New(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: the body is empty")

// owner is the owner of every bucket and object.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

var theOwner = owner{ID: "02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4", DisplayName: "presign"}

// listAllMyBucketsResult is the ListBuckets response.
type listAllMyBucketsResult struct {
	XMLName xml.Name     `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Owner   owner        `xml:"Owner"`
	Buckets []bucketElem `xml:"Buckets>Bucket"`
}

type bucketElem struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// listBucketResult is the ListObjectsV2 and ListObjects response.
type listBucketResult struct {
	XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string   `xml:"Name"`
	Prefix                string   `xml:"Prefix"`
	Marker                *string  `xml:"Marker"`
	NextMarker            string   `xml:"NextMarker,omitempty"`
	StartAfter            string   `xml:"StartAfter,omitempty"`
	ContinuationToken     string   `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string   `xml:"NextContinuationToken,omitempty"`
	KeyCount              *int     `xml:"KeyCount"`
	listPageElems
	Contents       []objectElem   `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

// listPageElems are the elements that say how a page of a listing of objects
// (ListObjects, ListObjectsV2, ListObjectVersions) was cut.
type listPageElems struct {
	MaxKeys      int    `xml:"MaxKeys"`
	Delimiter    string `xml:"Delimiter,omitempty"`
	EncodingType string `xml:"EncodingType,omitempty"`
	IsTruncated  bool   `xml:"IsTruncated"`
}

type objectElem struct {
	Key               string   `xml:"Key"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	Size              int64    `xml:"Size"`
	Owner             *owner   `xml:"Owner"`
	StorageClass      string   `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// locationConstraint is the GetBucketLocation response.
type locationConstraint struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Region  string   `xml:",chardata"`
}

// createBucketConfiguration is the optional CreateBucket request body.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
	Unknown            anyElems `xml:",any"`
}

func (c *createBucketConfiguration) unknown() []string { return c.Unknown.names() }

// deleteRequest is the DeleteObjects request body.
type deleteRequest struct {
	XMLName xml.Name          `xml:"Delete"`
	Quiet   bool              `xml:"Quiet"`
	Objects []deleteObjectReq `xml:"Object"`
	Unknown anyElems          `xml:",any"`
}

type deleteObjectReq struct {
	Key              string   `xml:"Key"`
	VersionID        string   `xml:"VersionId"`
	ETag             string   `xml:"ETag"`
	LastModifiedTime string   `xml:"LastModifiedTime"`
	Size             string   `xml:"Size"`
	Unknown          anyElems `xml:",any"`
}

func (d *deleteRequest) unknown() []string {
	return unknownWithin(d.Unknown, d.Objects, func(o deleteObjectReq) anyElems { return o.Unknown })
}

// unknownWithin returns the names of the unknown elements of a document
// and of each of its items.
func unknownWithin[T any](top anyElems, items []T, of func(T) anyElems) []string {
	u := top.names()
	for _, it := range items {
		u = append(u, of(it).names()...)
	}
	return u
}

// deleteResult is the DeleteObjects response.
type deleteResult struct {
	XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []deletedElem `xml:"Deleted"`
	Errors  []deleteError `xml:"Error"`
}

type deletedElem struct {
	Key string `xml:"Key"`
}

type deleteError struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// copyObjectResult is the CopyObject response.
type copyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	checksumElems
}

// copyPartResult is the UploadPartCopy response.
type copyPartResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	checksumElems
}

// checksumElems are the Checksum* elements of S3's documents.
type checksumElems struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// set sets the element of algorithm name.
func (c *checksumElems) set(name, value string) {
	switch name {
	case "CRC32":
		c.ChecksumCRC32 = value
	case "CRC32C":
		c.ChecksumCRC32C = value
	case "CRC64NVME":
		c.ChecksumCRC64NVME = value
	case "SHA1":
		c.ChecksumSHA1 = value
	case "SHA256":
		c.ChecksumSHA256 = value
	}
}

// get returns the value of the element of algorithm name.
func (c *checksumElems) get(name string) string {
	switch name {
	case "CRC32":
		return c.ChecksumCRC32
	case "CRC32C":
		return c.ChecksumCRC32C
	case "CRC64NVME":
		return c.ChecksumCRC64NVME
	case "SHA1":
		return c.ChecksumSHA1
	case "SHA256":
		return c.ChecksumSHA256
	}
	return ""
}

func checksumsOf(m map[string]string) checksumElems {
	var c checksumElems
	for k, v := range m {
		c.set(k, v)
	}
	return c
}

// initiateMultipartUploadResult is the CreateMultipartUpload response.
type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// completeMultipartUpload is the CompleteMultipartUpload request body.
type completeMultipartUpload struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []completePart `xml:"Part"`
	Unknown anyElems       `xml:",any"`
}

type completePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
	checksumElems
	Unknown anyElems `xml:",any"`
}

// precheck refuses a part list longer than MaxParts before it is parsed,
// by counting its <Part> elements (xml.Unmarshal checks the count again).
func (c *completeMultipartUpload) precheck(body []byte) error {
	if n := bytes.Count(body, []byte("<Part>")) + bytes.Count(body, []byte("<Part ")); n > MaxParts {
		return errTooManyParts(n)
	}
	return nil
}

func (c *completeMultipartUpload) unknown() []string {
	return unknownWithin(c.Unknown, c.Parts, func(p completePart) anyElems { return p.Unknown })
}

// completeMultipartUploadResult is the CompleteMultipartUpload response.
type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumElems
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// setChecksums sets the checksum elements of a completed object.
func (c *completeMultipartUploadResult) setChecksums(m objstore.Metadata) {
	for name, v := range m.Checksums {
		c.checksumElems.set(name, v)
	}
	if len(m.Checksums) > 0 {
		c.ChecksumType = m.ChecksumType
	}
}

// listPartsResult is the ListParts response.
type listPartsResult struct {
	XMLName              xml.Name   `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	Initiator            owner      `xml:"Initiator"`
	Owner                owner      `xml:"Owner"`
	StorageClass         string     `xml:"StorageClass"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	Parts                []partElem `xml:"Part"`
}

type partElem struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	checksumElems
}

// listMultipartUploadsResult is the ListMultipartUploads response.
type listMultipartUploadsResult struct {
	XMLName            xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Prefix             string         `xml:"Prefix"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadElem   `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type uploadElem struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	Initiator    owner  `xml:"Initiator"`
	Owner        owner  `xml:"Owner"`
	StorageClass string `xml:"StorageClass"`
	Initiated    string `xml:"Initiated"`
}

// postResponse is the POST object response with success_action_status 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}
