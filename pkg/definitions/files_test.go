package definitions

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const oneSLO = "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n"

// loadWithin loads paths, failing the test when that takes longer than a few seconds.
func loadWithin(t *testing.T, paths []string, o Options) Result {
	t.Helper()
	done := make(chan Result, 1)
	go func() { done <- LoadWith(paths, "", o) }()
	select {
	case res := <-done:
		return res
	case <-time.After(30 * time.Second):
		t.Fatalf("loading %v hangs", paths)
		return Result{}
	}
}

func TestFolderSkipsPipesAndDevices(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(oneSLO), 0o600))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o600))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml")))
	res := loadWithin(t, []string{dir}, Options{})
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, []string{
		filepath.Join(dir, "pipe.yaml") + ": definitions file: a named pipe, not a regular file: not read",
		filepath.Join(dir, "zero.yaml") + ": definitions file: link leads outside the definitions folder " + dir + ": not read",
	}, errorStrings(res.Errors))

	// Named directly, a device is refused for what it is.
	res = loadWithin(t, []string{"/dev/zero", filepath.Join(dir, "pipe.yaml")}, Options{})
	assert.Equal(t, []string{
		"/dev/zero: definitions file: a character device, not a regular file: not read",
		filepath.Join(dir, "pipe.yaml") + ": definitions file: a named pipe, not a regular file: not read",
	}, errorStrings(res.Errors))
}

func TestReadFileRefusesPipeAndDevice(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "p.yaml")
	require.NoError(t, syscall.Mkfifo(pipe, 0o600))
	done := make(chan error, 2)
	go func() {
		_, err := readFile(pipe)
		done <- err
		_, err = readFile("/dev/urandom")
		done <- err
	}()
	for range 2 {
		select {
		case err := <-done:
			assert.ErrorContains(t, err, "not a regular file")
		case <-time.After(30 * time.Second):
			t.Fatal("readFile hangs")
		}
	}
}

func TestFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	data := []byte(oneSLO + "# " + strings.Repeat("x", MaxFileSize) + "\n")
	require.NoError(t, os.WriteFile(big, data, 0o600))
	start := time.Now()
	res := Load([]string{dir, big}, "")
	assert.Less(t, time.Since(start), 5*time.Second, "refused without reading")
	assert.Empty(t, res.SLOs)
	assert.Equal(t, []string{
		big + ": definitions file: larger than the limit of 10485760 bytes (MaxFileSize): not read",
	}, errorStrings(res.Errors))

	res = Load(nil, string(data))
	assert.Empty(t, res.SLOs)
	assert.Equal(t, []string{"inline: definitions: larger than the limit of 10485760 bytes (MaxFileSize): not read"}, errorStrings(res.Errors))
	res = Parse("t.yaml", data)
	assert.Equal(t, []string{"t.yaml: definitions: larger than the limit of 10485760 bytes (MaxFileSize): not read"}, errorStrings(res.Errors))
}

func TestEmptyAndRelativePaths(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	res := Load([]string{"", " "}, "")
	assert.Empty(t, res.SLOs, "an empty path does not read the working directory")
	assert.Equal(t, []string{
		`" ": definitions path is empty: give a file or folder (an empty path would read the working directory)`,
		`"": definitions path is empty: give a file or folder (an empty path would read the working directory)`,
	}, errorStrings(res.Errors))

	abs := filepath.Join(wd, "testdata", "native")
	res = LoadWith([]string{"testdata/native", abs + "/../native", abs}, "", Options{AbsolutePaths: true})
	assert.Equal(t, []string{
		abs + `/../native: definitions path "` + abs + `/../native" has a ".." component: give the folder itself`,
		`testdata/native: definitions path "testdata/native" is relative: give an absolute path`,
	}, errorStrings(res.Errors))
	assert.Len(t, res.SLOs, 4, "from the absolute path")

	st := NewStoreWith([]string{"", "testdata"}, "", Options{AbsolutePaths: true})
	res = st.Current()
	assert.Empty(t, res.SLOs)
	assert.Len(t, res.Errors, 2)
}

func TestSymlinks(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	require.NoError(t, os.WriteFile(secret, []byte("service: s\nslos:\n  - name: leaked-secret\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n"), 0o600))
	dir := t.TempDir()
	// A config map: files are links into a hidden folder of the same folder.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "..2024"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "..2024", "a.yaml"), []byte(oneSLO), 0o600))
	require.NoError(t, os.Symlink("..2024", filepath.Join(dir, "..data")))
	require.NoError(t, os.Symlink(filepath.Join("..data", "a.yaml"), filepath.Join(dir, "a.yaml")))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "abs.yaml")))
	require.NoError(t, os.Symlink(filepath.Join("..", filepath.Base(outside), "secret.yaml"), filepath.Join(dir, "rel.yaml")))
	require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere.yaml"), filepath.Join(dir, "broken.yaml")))

	res := Load([]string{dir}, "")
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, "a", res.SLOs[0].Name)
	assert.Equal(t, filepath.Join(dir, "a.yaml"), res.SLOs[0].Source.File)
	errs := strings.Join(errorStrings(res.Errors), "\n")
	assert.NotContains(t, errs, "leaked-secret")
	assert.Equal(t, []string{
		filepath.Join(dir, "abs.yaml") + ": definitions file: link leads outside the definitions folder " + dir + ": not read",
		filepath.Join(dir, "broken.yaml") + ": definitions file: link: no such file or directory",
		filepath.Join(dir, "rel.yaml") + ": definitions file: link leads outside the definitions folder " + dir + ": not read",
	}, errorStrings(res.Errors))

	// A folder named through a link is read as the folder it leads to.
	link := filepath.Join(outside, "defs")
	require.NoError(t, os.Symlink(dir, link))
	res = Load([]string{link}, "")
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, filepath.Join(link, "a.yaml"), res.SLOs[0].Source.File)
	assert.Len(t, res.Errors, 3)
}

func TestErrorsDoNotEchoOtherFiles(t *testing.T) {
	for name, src := range map[string]string{
		"passwd":   "root:x:0:0:root:/root:/bin/bash\nsecretuser:x:1000:1000::/home/secretuser:/bin/sh\n",
		"env":      "SECRET_TOKEN: hunter2\nDB_PASSWORD: secretpass\n",
		"key":      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secret\n-----END PRIVATE KEY-----\n",
		"json":     `{"secretKey": "secretValue", "n": [1, 2]}`,
		"manifest": "apiVersion: " + strings.Repeat("secret", 30) + "\nkind: Secret\n",
	} {
		res := Parse("f.yaml", []byte(src))
		require.NotEmpty(t, res.Errors, name)
		for _, e := range res.Errors {
			assert.NotContains(t, strings.ToLower(e.Message), "secret"+strings.Repeat("secret", 11), name)
			if name != "manifest" {
				assert.NotContains(t, strings.ToLower(e.Message), "secret", name)
				assert.NotContains(t, e.Message, "root", name)
			}
		}
	}
	res := Parse("f.yaml", []byte("SECRET_TOKEN: hunter2\n"))
	assert.Equal(t, []string{"f.yaml:1: not a definitions document: a native document has a service and a list of slos, an OpenSLO one starts with apiVersion"}, errorStrings(res.Errors))
}
