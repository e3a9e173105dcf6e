// Command kube-validate checks Kubernetes objects the way an API server of one release checks a create
// request, offline: it reads a JSON array of objects on stdin and prints, for each, a JSON result
// {index, kind, name, errors: [{field, message}], warnings}. With --lines it answers each line of stdin (a JSON
// array) with one line (their results), for callers that validate many renderings with one process.
//
// For a kind the API server itself serves (the groups installed below), it does what the server does
// between reading the request body and writing to etcd, minus admission:
//   - strict decoding into the versioned Go type (sigs.k8s.io/json, as the server's fieldValidation=Strict):
//     an unknown or duplicate field, or a value of the wrong type, is an error naming the field;
//   - defaulting (the scheme's defaulters) and conversion to the internal type;
//   - rest.BeforeCreate with the kind's registry strategy: PrepareForCreate, the kind's validation
//     (k8s.io/kubernetes/pkg/apis/<group>/validation, and declarative validation where the release has it)
//     and the common ObjectMeta validation (name, namespace, label and annotation syntax and size).
//
// Any other kind (a CustomResource such as KEDA's ScaledObject, or a built-in kind of a group not installed
// here) gets strict decoding of its metadata and the ObjectMeta validation a CustomResource gets; its spec
// is not checked (that needs the CRD's schema).
//
// The same source is built against each Kubernetes release with `go build -modfile=k8s-X.Y.mod`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/pprof"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	genericvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/capabilities"
	sigsjson "sigs.k8s.io/json"

	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	core "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"

	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/apps/statefulset"
	"k8s.io/kubernetes/pkg/registry/autoscaling/horizontalpodautoscaler"
	"k8s.io/kubernetes/pkg/registry/batch/cronjob"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/persistentvolumeclaim"
	"k8s.io/kubernetes/pkg/registry/core/pod"
	"k8s.io/kubernetes/pkg/registry/core/secret"
	"k8s.io/kubernetes/pkg/registry/core/service"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	"k8s.io/kubernetes/pkg/registry/networking/ingress"
	"k8s.io/kubernetes/pkg/registry/networking/networkpolicy"
	"k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	"k8s.io/kubernetes/pkg/registry/rbac/clusterrole"
	"k8s.io/kubernetes/pkg/registry/rbac/clusterrolebinding"
	"k8s.io/kubernetes/pkg/registry/rbac/role"
	"k8s.io/kubernetes/pkg/registry/rbac/rolebinding"
)

// kind is a kind validated with its API server strategy, and the resource it is served as.
type kind struct {
	resource string
	strategy rest.RESTCreateStrategy
}

var strategies = map[schema.GroupKind]kind{
	{Group: "", Kind: "ConfigMap"}:                                   {"configmaps", configmap.Strategy},
	{Group: "", Kind: "Secret"}:                                      {"secrets", secret.Strategy},
	{Group: "", Kind: "Service"}:                                     {"services", service.Strategy},
	{Group: "", Kind: "ServiceAccount"}:                              {"serviceaccounts", serviceaccount.Strategy},
	{Group: "", Kind: "PersistentVolumeClaim"}:                       {"persistentvolumeclaims", persistentvolumeclaim.Strategy},
	{Group: "", Kind: "Pod"}:                                         {"pods", pod.Strategy},
	{Group: "apps", Kind: "Deployment"}:                              {"deployments", deployment.Strategy},
	{Group: "apps", Kind: "StatefulSet"}:                             {"statefulsets", statefulset.Strategy},
	{Group: "batch", Kind: "Job"}:                                    {"jobs", job.Strategy},
	{Group: "batch", Kind: "CronJob"}:                                {"cronjobs", cronjob.Strategy},
	{Group: "networking.k8s.io", Kind: "Ingress"}:                    {"ingresses", ingress.Strategy},
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:              {"networkpolicies", networkpolicy.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               {"roles", role.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        {"rolebindings", rolebinding.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        {"clusterroles", clusterrole.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: {"clusterrolebindings", clusterrolebinding.Strategy},
	{Group: "policy", Kind: "PodDisruptionBudget"}:                   {"poddisruptionbudgets", poddisruptionbudget.Strategy},
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:          {"horizontalpodautoscalers", horizontalpodautoscaler.Strategy},
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type result struct {
	Index    int          `json:"index"`
	Kind     string       `json:"kind"`
	Name     string       `json:"name"`
	Errors   []fieldError `json:"errors"`
	Warnings []string     `json:"warnings,omitempty"`
}

type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) AddWarning(_, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// Error messages of the JSON decoder, turned into a field and a rule.
var (
	typeError    = regexp.MustCompile(`^json: cannot unmarshal (\S+) into Go (?:struct field \w+\.(\S+)|value) of type (\S+)$`)
	strictError  = regexp.MustCompile(`^(unknown|duplicate) field "(.*)"$`)
	wrappedField = regexp.MustCompile(`^json: cannot unmarshal .* into Go struct field \w+\.(\S+) of type \S+: (.*)$`)
)

// decodeErrors are the strict errors and the decoding error of sigs.k8s.io/json, each naming its field.
func decodeErrors(prefix string, strict []error, err error) []fieldError {
	out := []fieldError{}
	join := func(f string) string {
		if prefix == "" {
			return f
		}
		if f == "" {
			return prefix
		}
		return prefix + "." + f
	}
	for _, e := range strict {
		if m := strictError.FindStringSubmatch(e.Error()); m != nil {
			out = append(out, fieldError{join(m[2]), fmt.Sprintf("%s field: not a field of this kind", m[1])})
		} else {
			out = append(out, fieldError{join(""), e.Error()})
		}
	}
	if err != nil {
		msg := err.Error()
		if m := typeError.FindStringSubmatch(msg); m != nil {
			out = append(out, fieldError{join(m[2]), fmt.Sprintf("Invalid type: expected %s, got %s", m[3], m[1])})
		} else if m := wrappedField.FindStringSubmatch(msg); m != nil {
			out = append(out, fieldError{join(m[1]), m[2]})
		} else {
			out = append(out, fieldError{join(""), msg})
		}
	}
	return out
}

// strictDecode decodes as the API server does with fieldValidation=Strict. Unknown and duplicate fields
// leave a decoded object to validate further; a value of the wrong type does not (decoded is false).
func strictDecode(prefix string, data []byte, into any) (errs []fieldError, decoded bool) {
	strict, err := sigsjson.UnmarshalStrict(data, into, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	return decodeErrors(prefix, strict, err), err == nil
}

func fieldErrors(list field.ErrorList) []fieldError {
	out := []fieldError{}
	for _, e := range list {
		out = append(out, fieldError{e.Field, e.ErrorBody()})
	}
	return out
}

type head struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   json.RawMessage `json:"metadata"`
}

func validate(index int, data []byte) result {
	r := result{Index: index, Errors: []fieldError{}}
	var h head
	if err := json.Unmarshal(data, &h); err != nil {
		r.Errors = append(r.Errors, fieldError{"", fmt.Sprintf("not a JSON object: %v", err)})
		return r
	}
	var name struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(h.Metadata, &name)
	r.Kind, r.Name = h.Kind, name.Name
	if h.APIVersion == "" || h.Kind == "" {
		if h.APIVersion == "" {
			r.Errors = append(r.Errors, fieldError{"apiVersion", "Required value"})
		}
		if h.Kind == "" {
			r.Errors = append(r.Errors, fieldError{"kind", "Required value"})
		}
		return r
	}
	gv, err := schema.ParseGroupVersion(h.APIVersion)
	if err != nil {
		r.Errors = append(r.Errors, fieldError{"apiVersion", err.Error()})
		return r
	}
	gvk := gv.WithKind(h.Kind)
	k, served := strategies[gvk.GroupKind()]
	if !legacyscheme.Scheme.IsGroupRegistered(gv.Group) || (!legacyscheme.Scheme.Recognizes(gvk) && !served) {
		r.Errors = validateGeneric(h.Metadata)
		return r
	}
	if !legacyscheme.Scheme.Recognizes(gvk) {
		r.Errors = append(r.Errors, fieldError{"apiVersion", fmt.Sprintf("Unsupported value: %q: %s is not served as %s by this release", h.APIVersion, h.Kind, h.APIVersion)})
		return r
	}
	versioned, err := legacyscheme.Scheme.New(gvk)
	if err != nil {
		r.Errors = append(r.Errors, fieldError{"", err.Error()})
		return r
	}
	decodeErrs, decoded := strictDecode("", data, versioned)
	r.Errors = decodeErrs
	if !decoded {
		return r
	}
	legacyscheme.Scheme.Default(versioned)
	internal, err := legacyscheme.Scheme.ConvertToVersion(versioned, schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal})
	if err != nil {
		r.Errors = append(r.Errors, fieldError{"", fmt.Sprintf("conversion to the internal type failed: %v", err)})
		return r
	}
	objectMeta, err := meta.Accessor(internal)
	if err != nil {
		r.Errors = append(r.Errors, fieldError{"metadata", err.Error()})
		return r
	}
	if !served {
		r.Errors = append(r.Errors, fieldErrors(genericvalidation.ValidateObjectMetaAccessor(objectMeta, objectMeta.GetNamespace() != "", genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata")))...)
		return r
	}
	// What the generic registry does before rest.BeforeCreate: system fields, a generated name.
	rest.FillObjectMetaSystemFields(objectMeta)
	if objectMeta.GetName() == "" && objectMeta.GetGenerateName() != "" {
		objectMeta.SetName(k.strategy.GenerateName(objectMeta.GetGenerateName()))
	}
	namespace := ""
	if k.strategy.NamespaceScoped() {
		// The namespace of the request (`helm install -n`, `kubectl apply -n`) fills an object's empty one.
		namespace = objectMeta.GetNamespace()
		if namespace == "" {
			namespace = metav1.NamespaceDefault
		}
	}
	w := &warnings{}
	ctx := genericapirequest.WithNamespace(context.Background(), namespace)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true,
		Verb:              "create",
		APIPrefix:         "apis",
		APIGroup:          gv.Group,
		APIVersion:        gv.Version,
		Namespace:         namespace,
		Resource:          k.resource,
		Name:              objectMeta.GetName(),
	})
	ctx = warning.WithWarningRecorder(ctx, w)
	allocateLikeRegistry(internal)
	if err := rest.BeforeCreate(k.strategy, ctx, internal); err != nil {
		r.Errors = append(r.Errors, statusErrors(err)...)
	}
	r.Warnings = w.list
	return r
}

// allocateLikeRegistry does what a kind's registry allocates in BeginCreate, which runs before validation:
// the Service registry gives a LoadBalancer with externalTrafficPolicy Local a health-check node port.
func allocateLikeRegistry(obj runtime.Object) {
	svc, ok := obj.(*core.Service)
	if ok && string(svc.Spec.Type) == "LoadBalancer" && string(svc.Spec.ExternalTrafficPolicy) == "Local" && svc.Spec.HealthCheckNodePort == 0 {
		svc.Spec.HealthCheckNodePort = 30000
	}
}

// statusErrors are the causes of the API error BeforeCreate returns (field.ErrorList of an Invalid error).
func statusErrors(err error) []fieldError {
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil || len(status.Status().Details.Causes) == 0 {
		return []fieldError{{"", err.Error()}}
	}
	out := []fieldError{}
	for _, c := range status.Status().Details.Causes {
		out = append(out, fieldError{c.Field, c.Message})
	}
	return out
}

// validateGeneric checks the metadata of a kind not served here as a CustomResource's: strict decoding
// into ObjectMeta, then the ObjectMeta validation of the apiextensions API server (name a DNS subdomain).
// The namespace is checked when set; whether the kind is namespaced is not known here.
func validateGeneric(metadata json.RawMessage) []fieldError {
	if len(metadata) == 0 {
		return []fieldError{{"metadata.name", "Required value: name or generateName is required"}}
	}
	var m metav1.ObjectMeta
	errs, decoded := strictDecode("metadata", metadata, &m)
	if !decoded {
		return errs
	}
	return append(errs, fieldErrors(genericvalidation.ValidateObjectMetaAccessor(&m, m.Namespace != "", genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata")))...)
}

func main() {
	// As an API server started with --allow-privileged=true (kubeadm's and most distributions' setting):
	// whether privileged containers may run is the cluster's policy (Pod Security admission), not validation's.
	capabilities.Initialize(capabilities.Capabilities{AllowPrivileged: true})
	if file := os.Getenv("KUBE_VALIDATE_CPUPROFILE"); file != "" {
		f, err := os.Create(file)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	switch {
	case len(os.Args) == 1:
		input, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(fmt.Errorf("reading stdin: %v", err))
		}
		results, err := validateAll(input)
		if err != nil {
			fail(err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
			fail(err)
		}
	case len(os.Args) == 2 && os.Args[1] == "--lines":
		serveLines()
	default:
		fail(fmt.Errorf("usage: kube-validate [--lines] < objects.json"))
	}
}

// validateAll validates a JSON array of objects.
func validateAll(input []byte) ([]result, error) {
	var objects []json.RawMessage
	if err := json.Unmarshal(input, &objects); err != nil {
		return nil, fmt.Errorf("not a JSON array of objects: %v", err)
	}
	results := make([]result, len(objects))
	for i, o := range objects {
		results[i] = validateWithin(i, o, objectTimeout)
	}
	return results, nil
}

// objectTimeout bounds the work on one object: Kubernetes' own decoding can take minutes on a pathological
// value (a resource quantity such as ".5e-62676722794" scales a decimal by its exponent), and one such
// object must not stall the proof. The goroutine left behind finishes or dies with the process.
const objectTimeout = 10 * time.Second

func validateWithin(index int, data []byte, limit time.Duration) result {
	done := make(chan result, 1)
	go func() { done <- validate(index, data) }()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
		var h head
		_ = json.Unmarshal(data, &h)
		var name struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(h.Metadata, &name)
		return result{Index: index, Kind: h.Kind, Name: name.Name, Errors: []fieldError{{"", fmt.Sprintf("not validated within %s: Kubernetes' own decoding and validation of this object runs that long (e.g. a resource quantity with a huge exponent)", limit)}}}
	}
}

// serveLines answers each line of stdin, a JSON array of objects, with one line: the array of their results.
func serveLines() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			results, verr := validateAll(line)
			if verr != nil {
				fail(verr)
			}
			if err := enc.Encode(results); err != nil {
				fail(err)
			}
			// Answer each request at once: the caller may wait for it before sending the next.
			if in.Buffered() == 0 {
				if err := out.Flush(); err != nil {
					fail(err)
				}
			}
		}
		if err == io.EOF {
			if err := out.Flush(); err != nil {
				fail(err)
			}
			return
		}
		if err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "kube-validate: %v\n", err)
	os.Exit(2)
}
