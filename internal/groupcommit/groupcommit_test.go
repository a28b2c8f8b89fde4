package groupcommit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

func always(error) bool { return true }

// store is a WriteFunc target that keeps what it committed and the size of
// every transaction; a transaction holding a bad item fails whole.
type store struct {
	mu    sync.Mutex
	rows  []int
	sizes []int
	bad   int
}

func (s *store) write(_ context.Context, items []int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sizes = append(s.sizes, len(items))
	if slices.Contains(items, s.bad) {
		return errors.New("constraint failed")
	}
	s.rows = append(s.rows, items...)
	return nil
}

// Every concurrent write is done exactly once and reported done.
func TestConcurrentWritesAllDone(t *testing.T) {
	s := &store{bad: -1}
	b := New(16, s.write, always)
	defer b.Close()
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			if err := b.Do(context.Background(), i); err != nil {
				t.Errorf("Do(%d) = %v", i, err)
			}
		})
	}
	wg.Wait()
	slices.Sort(s.rows)
	for i, v := range s.rows {
		if v != i {
			t.Fatalf("rows = %v, want 0..299 once each", s.rows)
		}
	}
	if len(s.rows) != 300 {
		t.Fatalf("%d rows, want 300", len(s.rows))
	}
	for _, n := range s.sizes {
		if n > 16 {
			t.Errorf("a transaction of %d items, want at most 16", n)
		}
	}
}

// When a batch fails, each of its items is written alone: the bad one gets
// the error, the others are written.
func TestFailedBatchRetriedOneByOne(t *testing.T) {
	s := &store{bad: 2}
	b := &Batcher[int]{write: s.write, refused: always}
	batch := make([]request[int], 4)
	for i := range batch {
		batch[i] = request[int]{item: i + 1, done: make(chan error, 1)}
	}
	b.flush(batch)
	for _, r := range batch {
		if err := <-r.done; (err != nil) != (r.item == 2) {
			t.Errorf("item %d: error %v", r.item, err)
		}
	}
	if want := []int{1, 3, 4}; !slices.Equal(s.rows, want) {
		t.Errorf("rows = %v, want %v", s.rows, want)
	}
	if want := []int{4, 1, 1, 1, 1}; !slices.Equal(s.sizes, want) {
		t.Errorf("transaction sizes = %v, want %v", s.sizes, want)
	}
}

func TestDoAfterCloseFails(t *testing.T) {
	b := New(16, (&store{}).write, always)
	b.Close()
	if err := b.Do(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close = %v, want ErrClosed", err)
	}
}

// A caller whose context ends before the batcher takes its write gets the
// context's error, and nothing is written.
func TestDoCancelledBeforeHandOver(t *testing.T) {
	held, release := make(chan struct{}), make(chan struct{})
	s := &store{bad: -1}
	b := New(16, func(ctx context.Context, items []int) error {
		if items[0] == 0 {
			close(held)
			<-release // hold the loop so the next Do cannot hand over
		}
		return s.write(ctx, items)
	}, always)
	defer b.Close()
	first := make(chan error)
	go func() { first <- b.Do(context.Background(), 0) }()
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Do(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a cancelled context = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.rows, []int{0}) {
		t.Errorf("rows = %v, want only [0]", s.rows)
	}
}

// A batch that fails in a way that may have committed (not refused) fails
// every item, and none is written again.
func TestUnknownOutcomeFailsTheBatch(t *testing.T) {
	s := &store{bad: 2}
	b := &Batcher[int]{write: s.write, refused: func(error) bool { return false }}
	batch := make([]request[int], 3)
	for i := range batch {
		batch[i] = request[int]{item: i + 1, done: make(chan error, 1)}
	}
	b.flush(batch)
	for _, r := range batch {
		if err := <-r.done; err == nil {
			t.Errorf("item %d: no error, want the batch's", r.item)
		}
	}
	if want := []int{3}; !slices.Equal(s.sizes, want) {
		t.Errorf("transaction sizes = %v, want only the batch: %v", s.sizes, want)
	}
}

// A write that panics fails its items with an error, and the batcher goes
// on serving.
func TestPanickingWriteFailsItsItems(t *testing.T) {
	b := New(16, func(_ context.Context, items []int) error {
		if items[0] == 0 {
			panic("boom")
		}
		return nil
	}, always)
	defer b.Close()
	if err := b.Do(context.Background(), 0); err == nil {
		t.Error("Do with a panicking write = nil, want an error")
	}
	if err := b.Do(context.Background(), 1); err != nil {
		t.Errorf("Do after a panic = %v, want nil", err)
	}
}
