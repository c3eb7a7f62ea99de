package presign

import (
	"reflect"
	"testing"
	"time"

	"github.com/presign-dev/presign/sigv4"
)

// TestBareCoversEveryField sets each field of Input in turn and checks that
// bare() notices: a field added to Input but not to bare() would be
// silently ignored by the fast path.
func TestBareCoversEveryField(t *testing.T) {
	typ := reflect.TypeOf(Input{})
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		switch f.Name {
		case "Bucket", "Key", "ParamOrder":
			continue
		}
		var in Input
		v := reflect.ValueOf(&in).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString("x")
		case reflect.Int:
			v.SetInt(1)
		case reflect.Map:
			v.Set(reflect.ValueOf(map[string]string{"a": "b"}))
		case reflect.Slice:
			v.Set(reflect.ValueOf([]sigv4.Param{{Name: "a", Value: "b"}}))
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
		case reflect.Struct:
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
		default:
			t.Fatalf("field %s: kind %v not handled by this test", f.Name, v.Kind())
		}
		if in.bare() {
			t.Errorf("bare() is true with %s set", f.Name)
		}
	}
}
