// The step-by-step loops of the recurrent layers, compiled (see fused.py).
//
// book/rnn/bptt.py writes the same loops with PyTorch operations, next to the mathematics
// of the chapter pages; the tests hold the two to the same numbers. Here a step is one
// matrix product (straight to the BLAS that torch ships) and one pass over memory for all
// the element-wise work around it (the *_row functions: one sequence of the batch at one
// step), where PyTorch launches a dozen operations of a few microseconds each. What does not
// depend on the previous step - the input projection of all steps, the input and weight
// gradients - stays in bptt.py, done for all steps at once.
//
// The sequences of a batch never mix, in either direction, so each thread runs the whole
// loop for its own block of sequences, with no waiting between steps. The exp and tanh of a
// step run over the thread's whole block of sequences at once (*_block): a row of H values
// would leave H mod 16 of them to scalar calls, the slowest part of a small cell's step.
// One model on the CPU; float32 or float64.
//
// Layouts (time first, then batch, then features; all contiguous):
//   gi      (T, B, G*H)  x_t W_ih^T + b_ih for every step (the LSTM's also holds b_hh)
//   H, C    (T, B, H)    hidden states, LSTM cell states
//   gates   (T, B, 4, H) GRU: r, z, n and W_hn h + b_hn;  LSTM: i, f, g, o;  tau-GRU: u, g, a, z
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include <algorithm>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using at::Tensor;

// The *_row functions are compiled on their own (not inlined into the loops), so that the
// compiler sees restrict-qualified arrays and vectorizes them, exp and tanh included.
#define ROW __attribute__((noinline))

template <typename T>
inline T sigmoid(T a) { return T(1) / (T(1) + std::exp(-a)); }

// Unit j's values of the four gate blocks of a (4, H) row.
template <typename T>
inline void put_gates(T* __restrict__ gates, int64_t hidden, int64_t j, T a, T b, T c, T d) {
  gates[j] = a;
  gates[hidden + j] = b;
  gates[2 * hidden + j] = c;
  gates[3 * hidden + j] = d;
}

// n contiguous values (one step of a block of sequences) at once.
template <typename T>
ROW void tanh_block(int64_t n, T* __restrict__ a) {
  for (int64_t k = 0; k < n; ++k) a[k] = std::tanh(a[k]);
}

template <typename T>
ROW void tanh_block(int64_t n, const T* __restrict__ a, T* __restrict__ out) {
  for (int64_t k = 0; k < n; ++k) out[k] = std::tanh(a[k]);
}

// a = s sigmoid(s (gi + a)) - (s - 1): the sigmoid where s = 1, tanh (= 2 sigmoid(2x) - 1)
// where s = 2, so that the LSTM's four gates are one pass.
template <typename T>
ROW void gates_block(int64_t n, const T* __restrict__ gi, const T* __restrict__ s,
                     T* __restrict__ a) {
  for (int64_t k = 0; k < n; ++k) a[k] = s[k] * sigmoid(s[k] * (gi[k] + a[k])) - (s[k] - T(1));
}

template <typename T>
T* data_of(const Tensor& tensor) { return const_cast<T*>(tensor.const_data_ptr<T>()); }

// A (T, B, ...) tensor seen step by step: row(t, b) is sequence b at step t, and step -1 is
// `initial` (B, ...), the state before the first step. (The tensors must outlive it.)
template <typename T>
struct Steps {
  T* data;
  T* initial;
  int64_t step_stride, row_stride;
  Steps(const Tensor& all, const Tensor& initial = Tensor())
      : data(data_of<T>(all)), initial(initial.defined() ? data_of<T>(initial) : nullptr),
        step_stride(all.stride(0)), row_stride(all.stride(1)) {}
  T* row(int64_t t, int64_t b) const {
    return (t < 0 ? initial : data + t * step_stride) + b * row_stride;
  }
};

// BLAS's matrix product, as torch's CPU build ships it (MKL on x86-64). Where the build has
// no such symbols they stay null, and ATen's matrix product runs instead.
extern "C" {
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*,
            const float*, const int*, const float*, const int*, const float*, float*,
            const int*) __attribute__((weak));
void dgemm_(const char*, const char*, const int*, const int*, const int*, const double*,
            const double*, const int*, const double*, const int*, const double*, double*,
            const int*) __attribute__((weak));
}

template <typename T>
void blas_gemm(const char* trans_w, int n, int rows, int k, const T* w, int ld_w, const T* a,
               T beta, T* c) {
  const T one = 1;
  if constexpr (std::is_same_v<T, float>)
    sgemm_(trans_w, "N", &n, &rows, &k, &one, w, &ld_w, a, &k, &beta, c, &n);
  else
    dgemm_(trans_w, "N", &n, &rows, &k, &one, w, &ld_w, a, &k, &beta, c, &n);
}

// c = beta c + a w^T (w: n x k) when `transposed`, else c = beta c + a w (w: k x n); a is
// (rows x k) and c (rows x n), all row-major and contiguous. beta is 0 or 1.
template <typename T>
void matmul(int64_t rows, int64_t n, int64_t k, const T* a, const T* w, bool transposed, T beta,
            T* c) {
  const bool have_blas = std::is_same_v<T, float> ? sgemm_ != nullptr : dgemm_ != nullptr;
  if (have_blas) {          // column-major BLAS computes c^T = op(w)^T a^T
    blas_gemm<T>(transposed ? "T" : "N", n, rows, k, w, transposed ? k : n, a, beta, c);
    return;
  }
  const auto options = at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
  const Tensor a_ = at::from_blob(const_cast<T*>(a), {rows, k}, options);
  const Tensor w_ = transposed ? at::from_blob(const_cast<T*>(w), {n, k}, options).t()
                               : at::from_blob(const_cast<T*>(w), {k, n}, options);
  Tensor c_ = at::from_blob(c, {rows, n}, options);
  if (beta == T(0)) at::mm_out(c_, a_, w_);
  else c_.addmm_(a_, w_);
}

// Runs loop(first, count) on blocks of sequences, one block per thread. Each thread treats
// tiny (denormal) floats as the calling thread does (torch.set_flush_denormal sets only the
// calling thread), and autograd is off, as it is on the calling thread.
template <typename Loop>
void per_block_of_sequences(int64_t batch, const Loop& loop) {
#if defined(__SSE__)
  const unsigned int caller_mode = _mm_getcsr();
#endif
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    at::NoGradGuard no_grad;
#if defined(__SSE__)
    const unsigned int own_mode = _mm_getcsr();
    _mm_setcsr(caller_mode);
#endif
    loop(begin, end - begin);
#if defined(__SSE__)
    _mm_setcsr(own_mode);
#endif
  });
}

// The backward chain that the three cells share, from the last step to the first, each thread
// on its own block of sequences. G is the total dL/dh_t (T, B, H); at the last step it is dH's.
// prepare(t, first, count) may compute what the rows of a step share, then
// row(t, b, dh, g_prev) works on sequence b at step t, from G at t: it writes that step's
// pre-activation gradients into dA (T, B, width) and, into g_prev, the part of dL/dh_{t-1}
// that skips the matrix product, from dh = dH_{t-1} (at t = 0 both are unused). Then
//   dL/dh_{t-1} += dA_t W_hh.
// (for the cells whose rows need nothing shared)
const auto nothing_to_prepare = [](int64_t, int64_t, int64_t) {};

template <typename T, typename Row, typename Prepare>
void backward_chain(const Tensor& dH_, const Tensor& weight_hh, int64_t width, Tensor& G_,
                    const Tensor& dA_, const Row& row, const Prepare& prepare) {
  const int64_t steps = G_.size(0), batch = G_.size(1), hidden = G_.size(2);
  G_[steps - 1].copy_(dH_[steps - 1]);
  const Tensor scratch = at::empty_like(G_[0]);                    // G at step -1: unused
  Steps<T> dH(dH_), G(G_, scratch), dA(dA_);
  const T* w = weight_hh.const_data_ptr<T>();
  per_block_of_sequences(batch, [&](int64_t first, int64_t count) {
    for (int64_t t = steps - 1; t >= 0; --t) {
      prepare(t, first, count);
      for (int64_t b = first; b < first + count; ++b)
        row(t, b, dH.row(t > 0 ? t - 1 : 0, b), G.row(t - 1, b));
      if (t > 0)
        matmul<T>(count, hidden, width, dA.row(t, first), w, false, 1, G.row(t - 1, first));
    }
  });
}

// ---- tanh RNN -----------------------------------------------------------------------------
//   h_t = tanh(a_t),  a_t = gi_t + W_hh h_{t-1} + b_hh

template <typename T>
ROW void rnn_forward_row(int64_t hidden, const T* __restrict__ gi, const T* __restrict__ bias,
                         T* __restrict__ a) {               // a holds W_hh h on entry
  for (int64_t j = 0; j < hidden; ++j) a[j] += gi[j] + bias[j];
}
    
    template <typename T>
    void rnn_forward_loop(const Tensor& gi_, const Tensor& h0, const Tensor& weight_hh,
                          const Tensor& bias_hh, Tensor& H_) {
  const int64_t steps = gi_.size(0), batch = h0.size(0), hidden = h0.size(1);
  const T* w = weight_hh.const_data_ptr<T>();
  const T* bias = bias_hh.const_data_ptr<T>();
  Steps<T> gi(gi_), H(H_, h0);
  per_block_of_sequences(batch, [&](int64_t first, int64_t count) {
    for (int64_t t = 0; t < steps; ++t) {
      matmul<T>(count, hidden, hidden, H.row(t - 1, first), w, true, 0, H.row(t, first));
      for (int64_t b = first; b < first + count; ++b)
        rnn_forward_row<T>(hidden, gi.row(t, b), bias, H.row(t, b));
      tanh_block<T>(count * hidden, H.row(t, first));
    }
  });
}

Tensor rnn_forward(const Tensor& gi, const Tensor& h0, const Tensor& weight_hh,
                   const Tensor& bias_hh) {
  Tensor H = at::empty({gi.size(0), h0.size(0), h0.size(1)}, gi.options());
  AT_DISPATCH_FLOATING_TYPES(gi.scalar_type(), "rnn_forward", [&] {
    rnn_forward_loop<scalar_t>(gi.contiguous(), h0.contiguous(), weight_hh.contiguous(),
                               bias_hh.contiguous(), H);
  });
  return H;
}

// Backward: dL/da_t = dL/dh_t (1 - h_t^2),  dL/dh_{t-1} = dH_{t-1} + dL/da_t W_hh.

template <typename T>
ROW void rnn_backward_row(int64_t hidden, const T* __restrict__ g, const T* __restrict__ h,
                          const T* __restrict__ dh, T* __restrict__ da, T* __restrict__ g_prev) {
  for (int64_t j = 0; j < hidden; ++j) {
    da[j] = g[j] * (T(1) - h[j] * h[j]);
    g_prev[j] = dh[j];
  }
}

template <typename T>
void rnn_backward_loop(const Tensor& dH_, const Tensor& H_, const Tensor& weight_hh, Tensor& G_,
                       Tensor& dA_) {
  const int64_t hidden = H_.size(2);
  Steps<T> H(H_), G(G_), dA(dA_);
  backward_chain<T>(dH_, weight_hh, hidden, G_, dA_, [&](int64_t t, int64_t b, const T* dh,
                                                         T* g_prev) {
    rnn_backward_row<T>(hidden, G.row(t, b), H.row(t, b), dh, dA.row(t, b), g_prev);
  }, nothing_to_prepare);
}

std::tuple<Tensor, Tensor> rnn_backward(const Tensor& dH, const Tensor& H,
                                        const Tensor& weight_hh) {
  Tensor G = at::empty_like(H), dA = at::empty_like(H);
  AT_DISPATCH_FLOATING_TYPES(H.scalar_type(), "rnn_backward", [&] {
    rnn_backward_loop<scalar_t>(dH.contiguous(), H.contiguous(), weight_hh.contiguous(), G, dA);
  });
  return {G, dA};
}

// ---- GRU ---------------------------------------------------------------------------------
//   r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r h_n), h' = (1 - z) n + z h
// with gh = W_hh h + b_hh and h_n its third block.

template <typename T>
ROW void gru_forward_row(int64_t hidden, const T* __restrict__ gi, const T* __restrict__ gh,
                         const T* __restrict__ bias, const T* __restrict__ h,
                         T* __restrict__ h_next, T* __restrict__ gates) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T r = sigmoid(gi[j] + gh[j] + bias[j]);
    const T z = sigmoid(gi[hidden + j] + gh[hidden + j] + bias[hidden + j]);
    const T h_n = gh[2 * hidden + j] + bias[2 * hidden + j];
    const T n = std::tanh(gi[2 * hidden + j] + r * h_n);
    h_next[j] = n + z * (h[j] - n);
    put_gates(gates, hidden, j, r, z, n, h_n);
  }
}

template <typename T>
void gru_forward_loop(const Tensor& gi_, const Tensor& h0, const Tensor& weight_hh,
                      const Tensor& bias_hh, Tensor& H_, Tensor& gates_) {
  const int64_t steps = gi_.size(0), batch = h0.size(0), hidden = h0.size(1);
  const T* w = weight_hh.const_data_ptr<T>();
  const T* bias = bias_hh.const_data_ptr<T>();
  Steps<T> gi(gi_), H(H_, h0), gates(gates_);
  per_block_of_sequences(batch, [&](int64_t first, int64_t count) {
    std::vector<T> gh(count * 3 * hidden);                          // W_hh h (bias in the row)
    for (int64_t t = 0; t < steps; ++t) {
      matmul<T>(count, 3 * hidden, hidden, H.row(t - 1, first), w, true, 0, gh.data());
      for (int64_t b = first; b < first + count; ++b)
        gru_forward_row<T>(hidden, gi.row(t, b), gh.data() + (b - first) * 3 * hidden, bias,
                           H.row(t - 1, b), H.row(t, b), gates.row(t, b));
    }
  });
}

std::tuple<Tensor, Tensor> gru_forward(const Tensor& gi, const Tensor& h0, const Tensor& weight_hh,
                                       const Tensor& bias_hh) {
  const int64_t steps = gi.size(0), batch = h0.size(0), hidden = h0.size(1);
  Tensor H = at::empty({steps, batch, hidden}, gi.options());
  Tensor gates = at::empty({steps, batch, 4, hidden}, gi.options());
  AT_DISPATCH_FLOATING_TYPES(gi.scalar_type(), "gru_forward", [&] {
    gru_forward_loop<scalar_t>(gi.contiguous(), h0.contiguous(), weight_hh.contiguous(),
                               bias_hh.contiguous(), H, gates);
  });
  return {H, gates};
}

// Given g = the total dL/dh_t:  da_n = g (1 - z) (1 - n^2) (the candidate's pre-activation),
// da_r = da_n h_n r (1 - r),  da_z = g (h_{t-1} - n) z (1 - z);  the input side gets
// (da_r, da_z, da_n), the hidden side (da_r, da_z, da_n r);  and the part of dL/dh_{t-1}
// that skips the matrix product: dH_{t-1} + z g.
template <typename T>
ROW void gru_backward_row(int64_t hidden, const T* __restrict__ g, const T* __restrict__ gates,
                          const T* __restrict__ h, const T* __restrict__ dh, T* __restrict__ dgi,
                          T* __restrict__ dgh, T* __restrict__ g_prev) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T r = gates[j], z = gates[hidden + j], n = gates[2 * hidden + j];
    const T h_n = gates[3 * hidden + j];
    const T da_n = g[j] * (T(1) - z) * (T(1) - n * n);
    const T da_r = da_n * h_n * r * (T(1) - r);
    const T da_z = g[j] * (h[j] - n) * z * (T(1) - z);
    dgi[j] = dgh[j] = da_r;
    dgi[hidden + j] = dgh[hidden + j] = da_z;
    dgi[2 * hidden + j] = da_n;
    dgh[2 * hidden + j] = da_n * r;
    g_prev[j] = dh[j] + z * g[j];
  }
}

template <typename T>
void gru_backward_loop(const Tensor& dH_, const Tensor& gates_, const Tensor& h0, const Tensor& H_,
                       const Tensor& weight_hh, Tensor& G_, Tensor& dGI_, Tensor& dGH_) {
  const int64_t hidden = H_.size(2);
  Steps<T> gates(gates_), H(H_, h0), G(G_), dGI(dGI_), dGH(dGH_);
  backward_chain<T>(dH_, weight_hh, 3 * hidden, G_, dGH_, [&](int64_t t, int64_t b,
                                                             const T* dh, T* g_prev) {
    gru_backward_row<T>(hidden, G.row(t, b), gates.row(t, b), H.row(t - 1, b), dh,
                        dGI.row(t, b), dGH.row(t, b), g_prev);
  }, nothing_to_prepare);
}

std::tuple<Tensor, Tensor, Tensor> gru_backward(const Tensor& dH, const Tensor& gates,
                                                const Tensor& h0, const Tensor& H,
                                                const Tensor& weight_hh) {
  Tensor G = at::empty_like(H);
  Tensor dGI = at::empty({H.size(0), H.size(1), 3 * H.size(2)}, H.options());
  Tensor dGH = at::empty_like(dGI);
  AT_DISPATCH_FLOATING_TYPES(H.scalar_type(), "gru_backward", [&] {
    gru_backward_loop<scalar_t>(dH.contiguous(), gates.contiguous(), h0.contiguous(),
                                H.contiguous(), weight_hh.contiguous(), G, dGI, dGH);
  });
  return {G, dGI, dGH};
}

// ---- LSTM --------------------------------------------------------------------------------
//   i, f, g, o = s, s, tanh, s of a = gi + W_hh h,   c' = f c + i g,   h' = o tanh(c')

// gates holds the four activated gates i, f, g, o of a row:  c' = f c + i g
template <typename T>
ROW void lstm_cell_row(int64_t hidden, const T* __restrict__ gates, const T* __restrict__ c,
                       T* __restrict__ c_next) {
  for (int64_t j = 0; j < hidden; ++j)
    c_next[j] = gates[hidden + j] * c[j] + gates[j] * gates[2 * hidden + j];
}

// h' = o tanh(c'), h_next holding tanh(c') on entry
template <typename T>
ROW void lstm_output_row(int64_t hidden, const T* __restrict__ o, T* __restrict__ h_next) {
  for (int64_t j = 0; j < hidden; ++j) h_next[j] *= o[j];
}

template <typename T>
void lstm_forward_loop(const Tensor& gi_, const Tensor& h0, const Tensor& c0,
                       const Tensor& weight_hh, Tensor& H_, Tensor& C_, Tensor& gates_) {
  const int64_t steps = gi_.size(0), batch = h0.size(0), hidden = h0.size(1);
  const T* w = weight_hh.const_data_ptr<T>();
  Steps<T> gi(gi_), H(H_, h0), C(C_, c0), gates(gates_);
  std::vector<T> scale(batch * 4 * hidden, T(1));          // 2 for the g block: tanh
  for (int64_t b = 0; b < batch; ++b)
    std::fill_n(scale.begin() + (4 * b + 2) * hidden, hidden, T(2));
  per_block_of_sequences(batch, [&](int64_t first, int64_t count) {
    for (int64_t t = 0; t < steps; ++t) {
      T* a = gates.row(t, first);                          // W_hh h, then the gates
      matmul<T>(count, 4 * hidden, hidden, H.row(t - 1, first), w, true, 0, a);
      gates_block<T>(count * 4 * hidden, gi.row(t, first), scale.data(), a);
      for (int64_t b = first; b < first + count; ++b)
        lstm_cell_row<T>(hidden, gates.row(t, b), C.row(t - 1, b), C.row(t, b));
      tanh_block<T>(count * hidden, C.row(t, first), H.row(t, first));
      for (int64_t b = first; b < first + count; ++b)
        lstm_output_row<T>(hidden, gates.row(t, b) + 3 * hidden, H.row(t, b));
    }
  });
}

std::tuple<Tensor, Tensor, Tensor> lstm_forward(const Tensor& gi, const Tensor& h0,
                                                const Tensor& c0, const Tensor& weight_hh) {
  const int64_t steps = gi.size(0), batch = h0.size(0), hidden = h0.size(1);
  Tensor H = at::empty({steps, batch, hidden}, gi.options()), C = at::empty_like(H);
  Tensor gates = at::empty({steps, batch, 4, hidden}, gi.options());
  AT_DISPATCH_FLOATING_TYPES(gi.scalar_type(), "lstm_forward", [&] {
    lstm_forward_loop<scalar_t>(gi.contiguous(), h0.contiguous(), c0.contiguous(),
                                weight_hh.contiguous(), H, C, gates);
  });
  return {H, C, gates};
}

// With g = the total dL/dh_t and d_next = dL/dc_{t+1}, f_next = f_{t+1} (dL/dc_T and 1 at
// the last step):
//   d = dL/dc_t = d_next f_next + g o (1 - tanh^2 c_t)
//   da = (d g i (1 - i),  d c_{t-1} f (1 - f),  d i (1 - g^2),  g tanh(c_t) o (1 - o))
// and the part of dL/dh_{t-1} that skips the matrix product: dH_{t-1}.
template <typename T>
ROW void lstm_backward_row(int64_t hidden, const T* __restrict__ g, const T* __restrict__ gates,
                           const T* __restrict__ tc, const T* __restrict__ c_prev,
                           const T* __restrict__ d_next, const T* __restrict__ f_next,
                           const T* __restrict__ dh, T* __restrict__ d, T* __restrict__ da,
                           T* __restrict__ g_prev) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T in = gates[j], f = gates[hidden + j], g_ = gates[2 * hidden + j];
    const T o = gates[3 * hidden + j];
    d[j] = d_next[j] * f_next[j] + g[j] * o * (T(1) - tc[j] * tc[j]);
    da[j] = d[j] * g_ * in * (T(1) - in);
    da[hidden + j] = d[j] * c_prev[j] * f * (T(1) - f);
    da[2 * hidden + j] = d[j] * in * (T(1) - g_ * g_);
    da[3 * hidden + j] = g[j] * tc[j] * o * (T(1) - o);
    g_prev[j] = dh[j];
  }
}

template <typename T>
void lstm_backward_loop(const Tensor& dH_, const Tensor& dc_last, const Tensor& gates_,
                        const Tensor& C_, const Tensor& c0, const Tensor& weight_hh, Tensor& G_,
                        Tensor& D_, Tensor& dA_) {
  const int64_t steps = C_.size(0), batch = C_.size(1), hidden = C_.size(2);
  const std::vector<T> ones(hidden, T(1));                         // "f_T": no step T + 1
  std::vector<T> tanh_c(batch * hidden);                           // tanh(c_t) of the step
  Steps<T> gates(gates_), C(C_, c0), G(G_), D(D_), dA(dA_), dc(dc_last.unsqueeze(0));
  backward_chain<T>(dH_, weight_hh, 4 * hidden, G_, dA_, [&](int64_t t, int64_t b,
                                                            const T* dh, T* g_prev) {
    const bool last = t == steps - 1;
    lstm_backward_row<T>(hidden, G.row(t, b), gates.row(t, b), tanh_c.data() + b * hidden,
                         C.row(t - 1, b), last ? dc.row(0, b) : D.row(t + 1, b),
                         last ? ones.data() : gates.row(t + 1, b) + hidden, dh, D.row(t, b),
                         dA.row(t, b), g_prev);
  }, [&](int64_t t, int64_t first, int64_t count) {
    tanh_block<T>(count * hidden, C.row(t, first), tanh_c.data() + first * hidden);
  });
}

std::tuple<Tensor, Tensor, Tensor> lstm_backward(const Tensor& dH, const Tensor& dc_last,
                                                 const Tensor& gates, const Tensor& C,
                                                 const Tensor& c0, const Tensor& weight_hh) {
  Tensor G = at::empty_like(C), D = at::empty_like(C);
  Tensor dA = at::empty({C.size(0), C.size(1), 4 * C.size(2)}, C.options());
  AT_DISPATCH_FLOATING_TYPES(C.scalar_type(), "lstm_backward", [&] {
    lstm_backward_loop<scalar_t>(dH.contiguous(), dc_last.contiguous(), gates.contiguous(),
                                 C.contiguous(), c0.contiguous(), weight_hh.contiguous(), G, D, dA);
  });
  return {G, D, dA};
}

// ---- tau-GRU ------------------------------------------------------------------------------
//   u, g, a = tanh, s, s of gi + W_hh[u, g, a] h_t;   z = tanh(gi_z + W_z h_{t-delay})
//   h_{t+1} = (1 - g) h_t + g (u + a z)
// gi (T, B, 4H) holds x W_ih^T + b_ih + b_hh (no gate multiplies a hidden-side bias); past
// (delay + 1, B, H) the states before the first step, oldest first: past[delay] = h_0 and
// past[k] = h_{k - delay}. State s >= 1 is H[s - 1]; state s <= 0 is past[s + delay].
// gates (T, B, 4, H): u, g, a, z.

template <typename T>
ROW void taugru_forward_row(int64_t hidden, const T* __restrict__ gi, const T* __restrict__ gh,
                            const T* __restrict__ gd, const T* __restrict__ h,
                            T* __restrict__ h_next, T* __restrict__ gates) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T u = std::tanh(gi[j] + gh[j]);
    const T g = sigmoid(gi[hidden + j] + gh[hidden + j]);
    const T a = sigmoid(gi[2 * hidden + j] + gh[2 * hidden + j]);
    const T z = std::tanh(gi[3 * hidden + j] + gd[j]);
    h_next[j] = h[j] + g * (u + a * z - h[j]);
    put_gates(gates, hidden, j, u, g, a, z);
  }
}

template <typename T>
struct DelayedStates {       // state s of sequence b: H[s - 1] for s >= 1, past[s + delay] else
  Steps<T> H, past;
  int64_t delay;
  T* row(int64_t s, int64_t b) const { return s >= 1 ? H.row(s - 1, b) : past.row(s + delay, b); }
};

template <typename T>
void taugru_forward_loop(const Tensor& gi_, const Tensor& past_, const Tensor& weight_hh,
                         int64_t delay, Tensor& H_, Tensor& gates_) {
  const int64_t steps = gi_.size(0), batch = past_.size(1), hidden = past_.size(2);
  const T* w = weight_hh.const_data_ptr<T>();                       // rows u, g, a, then z
  Steps<T> gi(gi_), gates(gates_);
  DelayedStates<T> state{Steps<T>(H_), Steps<T>(past_), delay};
  per_block_of_sequences(batch, [&](int64_t first, int64_t count) {
    std::vector<T> gh(count * 3 * hidden), gd(count * hidden);
    for (int64_t t = 0; t < steps; ++t) {
      matmul<T>(count, 3 * hidden, hidden, state.row(t, first), w, true, 0, gh.data());
      matmul<T>(count, hidden, hidden, state.row(t - delay, first), w + 3 * hidden * hidden, true, 0,
                gd.data());
      for (int64_t b = first; b < first + count; ++b)
        taugru_forward_row<T>(hidden, gi.row(t, b), gh.data() + (b - first) * 3 * hidden,
                              gd.data() + (b - first) * hidden, state.row(t, b), state.row(t + 1, b),
                              gates.row(t, b));
    }
  });
}

std::tuple<Tensor, Tensor> taugru_forward(const Tensor& gi, const Tensor& past,
                                          const Tensor& weight_hh, int64_t delay) {
  const int64_t steps = gi.size(0), batch = past.size(1), hidden = past.size(2);
  Tensor H = at::empty({steps, batch, hidden}, gi.options());
  Tensor gates = at::empty({steps, batch, 4, hidden}, gi.options());
  AT_DISPATCH_FLOATING_TYPES(gi.scalar_type(), "taugru_forward", [&] {
    taugru_forward_loop<scalar_t>(gi.contiguous(), past.contiguous(), weight_hh.contiguous(), delay,
                                  H, gates);
  });
  return {H, gates};
}

// Given g = the total dL/dh_{t+1}:  du = g gt (1 - u^2),  dg = g (u + a z - h_t) gt (1 - gt),
// da = g gt z a (1 - a),  dz = g gt a (1 - z^2);  h_t gets g (1 - gt) + (du, dg, da) W_hh[u, g, a]
// and h_{t-delay} gets dz W_z. Both are earlier states, whose totals are complete only once
// every later step has added its share: the loop runs from the last step to the first.
template <typename T>
ROW void taugru_backward_row(int64_t hidden, const T* __restrict__ g, const T* __restrict__ gates,
                             const T* __restrict__ h, T* __restrict__ da3, T* __restrict__ dz,
                             T* __restrict__ g_prev) {
  for (int64_t j = 0; j < hidden; ++j) {
    const T u = gates[j], gt = gates[hidden + j], a = gates[2 * hidden + j];
    const T z = gates[3 * hidden + j];
    da3[j] = g[j] * gt * (T(1) - u * u);
    da3[hidden + j] = g[j] * (u + a * z - h[j]) * gt * (T(1) - gt);
    da3[2 * hidden + j] = g[j] * gt * z * a * (T(1) - a);
    dz[j] = g[j] * gt * a * (T(1) - z * z);
    g_prev[j] += g[j] * (T(1) - gt);
  }
}

template <typename T>
void taugru_backward_loop(const Tensor& gates_, const Tensor& H_, const Tensor& past_,
                          const Tensor& weight_hh, int64_t delay, Tensor& G_, Tensor& dpast_,
                          Tensor& dA3_, Tensor& dZ_) {
  const int64_t steps = G_.size(0), batch = G_.size(1), hidden = G_.size(2);
  const T* w = weight_hh.const_data_ptr<T>();
  Steps<T> gates(gates_), dA3(dA3_), dZ(dZ_);
  DelayedStates<T> state{Steps<T>(H_), Steps<T>(past_), delay};
  DelayedStates<T> total{Steps<T>(G_), Steps<T>(dpast_), delay};   // dL/d state s
  per_block_of_sequences(batch, [&](int64_t first, int64_t count) {
    for (int64_t t = steps - 1; t >= 0; --t) {
      for (int64_t b = first; b < first + count; ++b)
        taugru_backward_row<T>(hidden, total.row(t + 1, b), gates.row(t, b), state.row(t, b),
                               dA3.row(t, b), dZ.row(t, b), total.row(t, b));
      matmul<T>(count, hidden, 3 * hidden, dA3.row(t, first), w, false, 1, total.row(t, first));
      matmul<T>(count, hidden, hidden, dZ.row(t, first), w + 3 * hidden * hidden, false, 1,
                total.row(t - delay, first));
    }
  });
}

std::tuple<Tensor, Tensor, Tensor, Tensor> taugru_backward(const Tensor& dH, const Tensor& gates,
                                                           const Tensor& H, const Tensor& past,
                                                           const Tensor& weight_hh, int64_t delay) {
  Tensor G = dH.contiguous().clone(), dpast = at::zeros_like(past);
  Tensor dA3 = at::empty({H.size(0), H.size(1), 3 * H.size(2)}, H.options());
  Tensor dZ = at::empty_like(H);
  AT_DISPATCH_FLOATING_TYPES(H.scalar_type(), "taugru_backward", [&] {
    taugru_backward_loop<scalar_t>(gates.contiguous(), H.contiguous(), past.contiguous(),
                                   weight_hh.contiguous(), delay, G, dpast, dA3, dZ);
  });
  return {G, dpast, dA3, dZ};
}

}  // namespace

TORCH_LIBRARY(book_rnn, m) {
  m.def("rnn_forward(Tensor gi, Tensor h0, Tensor weight_hh, Tensor bias_hh) -> Tensor",
        &rnn_forward);
  m.def("rnn_backward(Tensor dH, Tensor H, Tensor weight_hh) -> (Tensor, Tensor)", &rnn_backward);
  m.def("gru_forward(Tensor gi, Tensor h0, Tensor weight_hh, Tensor bias_hh) -> (Tensor, Tensor)",
        &gru_forward);
  m.def("gru_backward(Tensor dH, Tensor gates, Tensor h0, Tensor H, Tensor weight_hh) "
        "-> (Tensor, Tensor, Tensor)", &gru_backward);
  m.def("lstm_forward(Tensor gi, Tensor h0, Tensor c0, Tensor weight_hh) "
        "-> (Tensor, Tensor, Tensor)", &lstm_forward);
  m.def("lstm_backward(Tensor dH, Tensor dc_last, Tensor gates, Tensor C, Tensor c0, "
        "Tensor weight_hh) -> (Tensor, Tensor, Tensor)", &lstm_backward);
  m.def("taugru_forward(Tensor gi, Tensor past, Tensor weight_hh, int delay) -> (Tensor, Tensor)",
        &taugru_forward);
  m.def("taugru_backward(Tensor dH, Tensor gates, Tensor H, Tensor past, Tensor weight_hh, "
        "int delay) -> (Tensor, Tensor, Tensor, Tensor)", &taugru_backward);
}
