module chart-as-code/tools/helm-render

go 1.22

require chart-as-code/tools/yaml2json v0.0.0

require (
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	sigs.k8s.io/yaml v1.6.0 // indirect
)

replace chart-as-code/tools/yaml2json => ../yaml2json
