package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3Config is how to reach an S3-compatible service. It is built from
// settings (SPECSTAR_S3_* in the server), never from AWS config files or
// the environment.
type S3Config struct {
	// Endpoint is the service URL, e.g. "http://127.0.0.1:9000"; empty
	// means AWS S3 itself, resolved from Region.
	Endpoint string
	// Region is the signing region; empty means "us-east-1", which
	// S3-compatible services accept.
	Region string
	// AccessKeyID and SecretAccessKey are static credentials; both empty
	// means anonymous requests.
	AccessKeyID     string
	SecretAccessKey string
	// Bucket holds the objects; Prefix (optional) is prepended to every
	// key, so several deployments can share a bucket.
	Bucket string
	Prefix string
	// MaxAttempts bounds the attempts of one request (retrying throttling
	// and 5xx answers); 0 means the SDK default (3).
	MaxAttempts int
	// HTTPClient sends the requests; nil means the SDK default.
	HTTPClient *http.Client
}

// DefaultRegion is the region used when S3Config.Region is empty.
const DefaultRegion = "us-east-1"

// NewS3Client returns an S3 client for c, with path-style addressing
// (bucket in the path, as S3-compatible services expect) and checksums
// only where the API requires them (many S3-compatible services reject the
// SDK's default trailing checksums).
func NewS3Client(c S3Config) (*s3.Client, error) {
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return nil, errors.New("blob: s3: set both the access key id and the secret access key, or neither")
	}
	if c.Endpoint != "" && !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		return nil, fmt.Errorf("blob: s3: endpoint %q is not an http:// or https:// URL", c.Endpoint)
	}
	region := c.Region
	if region == "" {
		region = DefaultRegion
	}
	o := s3.Options{
		Region:                     region,
		UsePathStyle:               true,
		RetryMaxAttempts:           c.MaxAttempts,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.Endpoint != "" {
		o.BaseEndpoint = aws.String(c.Endpoint)
	}
	if c.HTTPClient != nil {
		o.HTTPClient = c.HTTPClient
	}
	if c.AccessKeyID != "" {
		creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "specstar"}
		o.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(
			func(context.Context) (aws.Credentials, error) { return creds, nil }))
	} else {
		o.Credentials = aws.AnonymousCredentials{}
	}
	return s3.New(o), nil
}

// S3 is a Store in an S3 bucket, under an optional key prefix.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending with "/"
}

var _ Store = (*S3)(nil)

// NewS3 returns a store on bucket. prefix, when not empty, is a key prefix
// (a folder: "a/b" and "a/b/" are the same) under which every object of
// this store lives.
func NewS3(client *s3.Client, bucket, prefix string) (*S3, error) {
	if bucket == "" {
		return nil, errors.New("blob: s3: no bucket")
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		if err := ValidKey(prefix); err != nil {
			return nil, fmt.Errorf("blob: s3: prefix: %w", err)
		}
		prefix += "/"
	}
	return &S3{client: client, bucket: bucket, prefix: prefix}, nil
}

// OpenS3 builds a client from c and returns a store on c.Bucket under
// c.Prefix.
func OpenS3(c S3Config) (*S3, error) {
	client, err := NewS3Client(c)
	if err != nil {
		return nil, err
	}
	return NewS3(client, c.Bucket, c.Prefix)
}

// Client returns the store's S3 client.
func (s *S3) Client() *s3.Client { return s.client }

// Bucket returns the store's bucket.
func (s *S3) Bucket() string { return s.bucket }

// URL returns "s3://bucket/prefix+key", for messages.
func (s *S3) URL(key string) string { return "s3://" + s.bucket + "/" + s.prefix + key }

// Put uploads the object. A seekable reader is sent as is; another reader
// of known size is streamed with an unsigned payload (the signature cannot
// cover bytes not read yet); one of unknown size is spooled to a temporary
// file first, because S3 needs the length up front.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	in := &s3.PutObjectInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(s.prefix + key),
		ContentType: aws.String(contentType(ct)),
	}
	var opts []func(*s3.Options)
	switch rs, seekable := r.(io.ReadSeeker); {
	case seekable:
		n, err := remaining(rs)
		if err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
		if size >= 0 && n != size {
			return errSize(key, size, n)
		}
		in.Body, in.ContentLength = rs, aws.Int64(n)
	case size >= 0:
		in.Body, in.ContentLength = &exactReader{r: r, left: size, key: key}, aws.Int64(size)
		opts = append(opts, func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		})
	default:
		f, n, err := spool(ctx, r)
		if err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
		defer func() {
			f.Close()
			os.Remove(f.Name())
		}()
		in.Body, in.ContentLength = f, aws.Int64(n)
	}
	if _, err := s.client.PutObject(ctx, in, opts...); err != nil {
		return fmt.Errorf("blob: put %s: %w", s.URL(key), err)
	}
	return nil
}

// remaining returns how many bytes rs holds from its current offset.
func remaining(rs io.ReadSeeker) (int64, error) {
	cur, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := rs.Seek(cur, io.SeekStart); err != nil {
		return 0, err
	}
	return end - cur, nil
}

// spool copies r into a temporary file, rewound, and returns its length.
func spool(ctx context.Context, r io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "specstar-blob-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

// exactReader passes through exactly left bytes of r and fails when r is
// shorter or longer, so that a wrong announced size never stores a
// truncated object.
type exactReader struct {
	r    io.Reader
	left int64
	key  string
	read int64
}

// Read reads from r, checking the length at the end: once the announced
// bytes are read it probes r for one more byte, because the HTTP client
// stops reading at the content length and would not notice.
func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	e.read += int64(n)
	switch {
	case e.left > 0 && err == io.EOF:
		return n, errSize(e.key, e.read+e.left, e.read)
	case e.left > 0 || (err != nil && err != io.EOF):
		return n, err
	}
	// Probe before handing out the last bytes: the request must not be
	// complete when the reader turns out to be too long.
	var b [1]byte
	if m, _ := io.ReadFull(e.r, b[:]); m > 0 {
		return 0, fmt.Errorf("blob: put %s: the reader holds more than the announced %d bytes", e.key, e.read)
	}
	return n, io.EOF
}

// Get downloads the object.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidKey(key); err != nil {
		return nil, Info{}, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, Info{}, s.err("get", key, err)
	}
	info := Info{
		Key:         key,
		Size:        aws.ToInt64(out.ContentLength),
		ContentType: contentType(aws.ToString(out.ContentType)),
		ModTime:     aws.ToTime(out.LastModified).UTC(),
	}
	return out.Body, info, nil
}

// Stat reads the object's metadata (HEAD).
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return Info{}, s.err("stat", key, err)
	}
	return Info{
		Key:         key,
		Size:        aws.ToInt64(out.ContentLength),
		ContentType: contentType(aws.ToString(out.ContentType)),
		ModTime:     aws.ToTime(out.LastModified).UTC(),
	}, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil && !isMissingObject(err) {
		return s.err("delete", key, err)
	}
	return nil
}

// List pages through the objects under prefix (ListObjectsV2).
func (s *S3) List(ctx context.Context, prefix string, fn func(Info) error) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.prefix + prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("blob: list %s: %w", s.URL(prefix), err)
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok {
				continue
			}
			info := Info{Key: key, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified).UTC()}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Ping checks that the bucket exists and is reachable (HEAD bucket).
func (s *S3) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}); err != nil {
		return fmt.Errorf("blob: s3 bucket %s: %w", s.bucket, err)
	}
	return nil
}

// CreateBucket creates the bucket unless it exists already, in the
// client's region. It is meant for tests and development servers;
// production buckets are provisioned with their policies elsewhere.
func (s *S3) CreateBucket(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}); err == nil {
		return nil
	} else if !isStatus(err, http.StatusNotFound) {
		return fmt.Errorf("blob: s3 bucket %s: %w", s.bucket, err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(s.bucket)}
	if region := s.client.Options().Region; region != DefaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	_, err := s.client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("blob: create s3 bucket %s: %w", s.bucket, err)
	}
	return nil
}

// err wraps an S3 error, adding ErrNotFound for a missing object.
func (s *S3) err(op, key string, err error) error {
	if isMissingObject(err) {
		return fmt.Errorf("blob: %s %s: %w (%w)", op, s.URL(key), ErrNotFound, err)
	}
	return fmt.Errorf("blob: %s %s: %w", op, s.URL(key), err)
}

// isMissingObject reports whether err is S3's answer for a missing
// object: NoSuchKey, NotFound (a HEAD answer has no body, so no code) or
// another 404 that is not about a missing bucket.
func isMissingObject(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var nsb *types.NoSuchBucket
	var api smithy.APIError
	switch {
	case errors.As(err, &nsk), errors.As(err, &nf):
		return true
	case errors.As(err, &nsb), errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket":
		return false
	}
	return isStatus(err, http.StatusNotFound)
}

// isStatus reports whether err is an HTTP answer with the given status.
func isStatus(err error, status int) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == status
}

// GetRange downloads the object from byte off to its end (an HTTP range
// request), for ReadSeeker.
func (s *S3) GetRange(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key),
		Range: aws.String(fmt.Sprintf("bytes=%d-", off)),
	})
	if err != nil {
		return nil, s.err("get", key, err)
	}
	return out.Body, nil
}
