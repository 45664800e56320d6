import CALSA
import CMediaShims
import COpenSSL
import COpus
import CSRTP
import CV4L2
import CVPX
@testable import SRTP
import Foundation
import Testing

/// Proves that every C library the media stack stands on is installed, links, and does real work — not merely
/// that its header compiles. Each test makes the library do one thing we will rely on later.
@Suite("C libraries")
struct SystemLibrariesSmokeTests {
    @Test("OpenSSL: a DTLS 1.2 context with a P-256 certificate key, SRTP profiles and an explicit MTU")
    func openSSLDTLSContext() throws {
        let context = try #require(SSL_CTX_new(DTLS_method()))
        defer { SSL_CTX_free(context) }
        let key = try #require(CMediaShims_EVP_EC_gen_P256())
        defer { EVP_PKEY_free(key) }
        #expect(EVP_PKEY_get_bits(key) == 256)
        // Returns 0 on success (unlike most OpenSSL calls).
        #expect(SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") == 0)
        let ssl = try #require(SSL_new(context))
        defer { SSL_free(ssl) }
        SSL_set_options(ssl, CMediaShims_SSL_OP_NO_QUERY_MTU())
        // SSL_ctrl(SSL_CTRL_SET_MTU) answers the MTU it accepted.
        #expect(CMediaShims_SSL_set_mtu(ssl, 1200) == 1200)
        var seconds = 0
        var microseconds = 0
        // No handshake has started, so no retransmission timer runs.
        #expect(CMediaShims_DTLSv1_get_timeout(ssl, &seconds, &microseconds) == 0)
    }

    @Test("libsrtp2: srtp_init, then an AEAD-GCM session protects and unprotects a packet")
    func libsrtpRoundTrip() throws {
        // srtp_init() is once per process and not thread-safe the first time: a raw call racing the SRTP module's
        // own initialisation (SRTPTests run in parallel in this process) corrupted libsrtp's cipher list in 1 run
        // of 4. So the module's thread-safe once-initialisation runs first; after it, libsrtp2 2.5 answers a repeated
        // call with bad_param (read-only) and the library must still be usable below.
        try SRTPLibrary.ensureInitialized()
        let initialised = srtp_init()
        #expect(initialised == srtp_err_status_ok || initialised == srtp_err_status_bad_param)
        var policy = srtp_policy_t()
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        var key = [UInt8](repeating: 0x5A, count: Int(SRTP_AES_GCM_128_KEY_LEN_WSALT))
        policy.ssrc.type = ssrc_any_outbound
        policy.window_size = 1024
        var sender: srtp_t?
        var receiver: srtp_t?
        try key.withUnsafeMutableBufferPointer { keyBytes in
            policy.key = keyBytes.baseAddress
            #expect(srtp_create(&sender, &policy) == srtp_err_status_ok)
            policy.ssrc.type = ssrc_any_inbound
            #expect(srtp_create(&receiver, &policy) == srtp_err_status_ok)
            _ = try #require(sender)
        }
        defer {
            srtp_dealloc(sender)
            srtp_dealloc(receiver)
        }
        // A 12-byte RTP header (V=2, PT=111, seq=1, ts=960, SSRC=0x01020304) and 20 bytes of payload.
        let plain: [UInt8] = [0x80, 0x6F, 0x00, 0x01, 0x00, 0x00, 0x03, 0xC0, 0x01, 0x02, 0x03, 0x04]
            + [UInt8](repeating: 0xAB, count: 20)
        var packet = plain + [UInt8](repeating: 0, count: Int(SRTP_MAX_TRAILER_LEN))
        var length = Int32(plain.count)
        #expect(srtp_protect(sender, &packet, &length) == srtp_err_status_ok)
        #expect(length == Int32(plain.count + 16))  // the GCM tag
        #expect(Array(packet[12..<plain.count]) != Array(plain[12...]))
        var replayed = packet
        var replayedLength = length
        #expect(srtp_unprotect(receiver, &packet, &length) == srtp_err_status_ok)
        #expect(Array(packet[0..<Int(length)]) == plain)
        // Replay protection (RFC 3711 §3.3.2): the same protected packet a second time is refused.
        #expect(srtp_unprotect(receiver, &replayed, &replayedLength) == srtp_err_status_replay_fail)
    }

    @Test("Opus: a 48 kHz stereo encoder with WebRTC settings encodes a 20 ms frame")
    func opusEncoder() throws {
        var error: Int32 = 0
        let encoder = try #require(opus_encoder_create(48_000, 2, OPUS_APPLICATION_VOIP, &error))
        defer { opus_encoder_destroy(encoder) }
        #expect(error == OPUS_OK)
        #expect(CMediaShims_opus_set_bitrate(encoder, 32_000) == OPUS_OK)
        #expect(CMediaShims_opus_set_inband_fec(encoder, 1) == OPUS_OK)
        var bitrate: Int32 = 0
        #expect(CMediaShims_opus_get_bitrate(encoder, &bitrate) == OPUS_OK)
        #expect(bitrate == 32_000)
        // 20 ms of a 440 Hz tone, interleaved stereo.
        let frames = 960
        var pcm = [Int16](repeating: 0, count: frames * 2)
        for index in 0..<frames {
            let sample = Int16(8_000 * sin(2 * Double.pi * 440 * Double(index) / 48_000))
            pcm[2 * index] = sample
            pcm[2 * index + 1] = sample
        }
        var packet = [UInt8](repeating: 0, count: 1500)
        let written = opus_encode(encoder, pcm, Int32(frames), &packet, Int32(packet.count))
        #expect(written > 1)
        // RFC 7587 / RFC 6716 §3.1: the TOC byte's stereo flag is set.
        #expect(packet[0] & 0x04 == 0x04)
    }

    @Test("libvpx: a realtime VP8 encoder config encodes a keyframe")
    func vp8Encoder() throws {
        let interface = try #require(CMediaShims_vp8_encoder())
        var config = vpx_codec_enc_cfg_t()
        #expect(vpx_codec_enc_config_default(interface, &config, 0) == VPX_CODEC_OK)
        config.g_w = 320
        config.g_h = 240
        config.rc_target_bitrate = 300
        config.rc_end_usage = VPX_CBR
        config.g_lag_in_frames = 0
        config.g_error_resilient = UInt32(VPX_ERROR_RESILIENT_DEFAULT)
        var codec = vpx_codec_ctx_t()
        #expect(CMediaShims_vpx_codec_enc_init(&codec, interface, &config, 0) == VPX_CODEC_OK)
        defer { vpx_codec_destroy(&codec) }
        #expect(CMediaShims_vp8_set_cpuused(&codec, -6) == VPX_CODEC_OK)
        let image = try #require(vpx_img_alloc(nil, VPX_IMG_FMT_I420, 320, 240, 16))
        defer { vpx_img_free(image) }
        // A grey frame.
        for plane in 0..<3 {
            let height = plane == 0 ? 240 : 120
            if let base = image.pointee.planes.0, plane == 0 {
                memset(base, 0x80, Int(image.pointee.stride.0) * height)
            } else if let base = plane == 1 ? image.pointee.planes.1 : image.pointee.planes.2 {
                let stride = plane == 1 ? image.pointee.stride.1 : image.pointee.stride.2
                memset(base, 0x80, Int(stride) * height)
            }
        }
        #expect(vpx_codec_encode(&codec, image, 0, 1, vpx_enc_frame_flags_t(VPX_EFLAG_FORCE_KF), UInt(VPX_DL_REALTIME)) == VPX_CODEC_OK)
        var iterator: vpx_codec_iter_t?
        var keyframeBytes = 0
        while let packet = vpx_codec_get_cx_data(&codec, &iterator) {
            if packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT, packet.pointee.data.frame.flags & UInt32(VPX_FRAME_IS_KEY) != 0 {
                keyframeBytes += packet.pointee.data.frame.sz
                // RFC 6386 §9.1: a key frame's first byte has P (bit 0) = 0, and the start code follows.
                let bytes = packet.pointee.data.frame.buf.assumingMemoryBound(to: UInt8.self)
                #expect(bytes[0] & 0x01 == 0)
                #expect(bytes[3] == 0x9D && bytes[4] == 0x01 && bytes[5] == 0x2A)
            }
        }
        #expect(keyframeBytes > 0)
    }

    @Test("ALSA: snd_pcm_open on a file-plugin capture device from a test asound.conf reads the file's samples")
    func alsaFilePluginCapture() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("meeting-alsa-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // 100 ms of 48 kHz stereo S16LE: a ramp, so we can check the bytes we read back.
        let frames = 4_800
        var samples = [Int16](repeating: 0, count: frames * 2)
        for index in samples.indices { samples[index] = Int16(truncatingIfNeeded: index &* 7) }
        let rawURL = directory.appendingPathComponent("capture.raw")
        try samples.withUnsafeBytes { try Data($0).write(to: rawURL) }
        let confURL = directory.appendingPathComponent("asound.conf")
        try """
            pcm.meeting_test_capture {
                type file
                slave.pcm { type null }
                file "/dev/null"
                infile "\(rawURL.path)"
                format "raw"
            }

            """.write(to: confURL, atomically: true, encoding: .utf8)

        var input: OpaquePointer?
        #expect(snd_input_stdio_open(&input, confURL.path, "r") == 0)
        var config: OpaquePointer?
        #expect(snd_config_top(&config) == 0)
        #expect(snd_config_load(config, input) == 0)
        snd_input_close(input)
        defer { snd_config_delete(config) }

        var pcm: OpaquePointer?
        let opened = snd_pcm_open_lconf(&pcm, "meeting_test_capture", SND_PCM_STREAM_CAPTURE, 0, config)
        #expect(opened == 0, "snd_pcm_open: \(String(cString: snd_strerror(opened)))")
        let handle = try #require(pcm)
        defer { snd_pcm_close(handle) }
        #expect(snd_pcm_set_params(handle, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, 48_000, 1, 100_000) == 0)
        var captured = [Int16](repeating: 0, count: 960 * 2)
        let read = captured.withUnsafeMutableBytes { snd_pcm_readi(handle, $0.baseAddress, 960) }
        #expect(read == 960)
        #expect(captured == Array(samples[0..<(960 * 2)]))
    }

    @Test("libv4l2: ioctl numbers and fourccs from the shim; opening a missing device fails with ENOENT")
    func v4l2() {
        #expect(CMediaShims_VIDIOC_QUERYCAP() == 0x8068_5600)
        #expect(CMediaShims_VIDIOC_S_FMT() == 0xC0D0_5605)
        #expect(CMediaShims_v4l2_fourcc(0x59, 0x55, 0x59, 0x56) == 0x5659_5559)  // "YUYV"
        errno = 0
        let descriptor = CMediaShims_v4l2_open("/dev/video-meeting-does-not-exist", O_RDWR)
        #expect(descriptor == -1)
        #expect(errno == ENOENT)
    }
}
