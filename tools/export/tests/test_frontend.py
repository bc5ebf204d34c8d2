import unittest

import _util
import torch

from f5tts_export import audio


class MelFrontEndTests(unittest.TestCase):
    def test_fbank_equals_torchaudio(self):
        import torchaudio
        ref = torchaudio.functional.melscale_fbanks(513, 0.0, 12000.0, 100, 24000, norm=None, mel_scale="htk")
        err = _util.max_abs(audio.melscale_fbanks(), ref)
        _util.metric("fbank_vs_torchaudio_max_abs", err)
        self.assertLessEqual(err, 1e-7)

    def test_reference_mel_equals_torchaudio_pipeline(self):
        import torchaudio
        wav = _util.voice(1.2, 3).unsqueeze(0)
        ms = torchaudio.transforms.MelSpectrogram(sample_rate=24000, n_fft=1024, win_length=1024, hop_length=256,
                                                  n_mels=100, power=1, center=True, normalized=False, norm=None)
        ref = ms(wav).clamp(min=1e-5).log().transpose(1, 2)
        ours = audio.log_mel_reference(wav, audio.melscale_fbanks())
        self.assertEqual(ours.shape[1], wav.shape[1] // 256 + 1)
        err = _util.max_abs(ours, ref)
        _util.metric("logmel_reference_vs_torchaudio_max_abs", err)
        self.assertLessEqual(err, 1e-5)

    def test_conv_mel_equals_reference(self):
        wav = _util.voice(0.9, 4).unsqueeze(0)
        fb = audio.melscale_fbanks()
        err = _util.max_abs(audio.log_mel_conv(wav, fb, audio.hann_window()), audio.log_mel_reference(wav, fb))
        _util.metric("logmel_conv_vs_stft_max_abs", err)
        self.assertLessEqual(err, 1e-4)

    def test_conv_istft_equals_torch_istft_per_item(self):
        g = torch.Generator().manual_seed(1)
        t = 40
        mag = torch.rand(2, 513, t, generator=g) * 0.5
        ph = (torch.rand(2, 513, t, generator=g) - 0.5) * 6.0
        lengths = torch.tensor([40, 23])
        got = audio.istft_conv(mag, ph, lengths, audio.hann_window())
        self.assertEqual(tuple(got.shape), (2, (t - 1) * 256))
        worst = 0.0
        for b in range(2):
            n = int(lengths[b])
            ref = audio.istft_reference(mag[b:b + 1, :, :n], ph[b:b + 1, :, :n])[0]
            worst = max(worst, _util.max_abs(got[b, : ref.shape[0]], ref))
            self.assertTrue(torch.all(got[b, ref.shape[0]:] == 0))
        _util.metric("istft_conv_vs_torch_istft_max_abs", worst)
        self.assertLessEqual(worst, 1e-5)


if __name__ == "__main__":
    unittest.main()
