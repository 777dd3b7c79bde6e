# Probes of ip6tables-legacy 1.8.9 beyond its own test vectors (edge cases of
# addresses, generic options and the IPv6 extensions); the outcome of each line
# is whatever real ip6tables did (ip6tables-observed.tsv), not what is written here.
:INPUT
-s 1.2.3.4;;?
-s 2001:db8::1;;?
-s 2001:DB8:0:0:1::1/64;;?
-s 2001:db8::1/ffff:ffff::;;?
-s 2001:db8::1/ffff:0:ffff::;;?
-s ::ffff:1.2.3.4;;?
-s ::1.2.3.4;;?
-d 1:0:0:1:0:0:0:1;;?
-d 1:0:0:1:0:0:1:1;;?
-d 1:0:1:1:1:1:1:1;;?
-s 2001:db8::1/129;;?
-s 2001:db8::1/0;;?
! -s ::/0;;?
-s 2001:db8::1,2001:db8::2 -d 2001:db8::/48,2001:db8:1::/48;;?
-s [2001:db8::1];;?
-s 2001:db8::1/64x;;?
-s 2001:db8::1/-1;;?
-s 2001:db8::1/064;;?
-s 2001:db8::1/0x40;;?
-s :::1;;?
-s 1::2::3;;?
-f;;?
! -f;;?
-p icmp;;?
-p icmp --icmp-type 8;;?
-p icmp -m icmp --icmp-type 8;;?
-p ipv6-icmp --icmpv6-type 1;;?
-p icmpv6 --icmpv6-type echo-request;;?
-p 58 --icmpv6-type echo-reply;;?
-m icmp6;;?
-p ipv6-icmp -m icmp6 --icmpv6-type ech;;?
-p ipv6-icmp -m icmp6 --icmpv6-type nei;;?
-p ipv6-icmp -m icmp6 --icmpv6-type any;;?
-p ipv6-icmp -m icmp6 --icmpv6-type neighbor-solicitation;;?
-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement;;?
-p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement;;?
-p ipv6-icmp -m icmp6 --icmpv6-type router-solicitation;;?
-p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big;;?
-p ipv6-icmp -m icmp6 --icmpv6-type port-unreachable;;?
-p ipv6-icmp -m icmp6 --icmpv6-type ttl-zero-during-reassembly;;?
-p ipv6-icmp -m icmp6 --icmpv6-type 128/1:2;;?
-p ipv6-icmp -m icmp6 --icmpv6-type 256;;?
-p ipv6-icmp -m icmp6 --icmpv6-type 1:2;;?
-p ipv6-icmp -m icmp6 ! --icmpv6-type 3/1;;?
-p 0;;?
-p all;;?
-p 44;;?
-p ipv6-route;;?
-p hopopt;;?
-p ah;;?
! -p all;;?
-m ttl --ttl-eq 3;;?
-m hl --hl 3;;?
-m hl --hl-eq 3 --hl 4;;?
-m hl ! --hl 3;;?
-j TTL --ttl-set 3;;?
-p tcp -j REJECT --reject-with icmp-port-unreachable;;?
-p tcp -j REJECT --reject-with tcp-rst;;?
-j REJECT --reject-with icmp6;;?
-j REJECT --reject-with icmp6-not-neighbor;;?
-j REJECT --reject-with ICMP6-NO-ROUTE;;?
-j REJECT --reject-with a;;?
-j REJECT --reject-with p;;?
-j REJECT --reject-with r;;?
-p tcp -j REJECT --reject-with tcp-reset --reject-with no-route;;?
-m srh --srh-psid a::1/64;;?
-m srh --srh-psid a::1;;?
-m srh --srh-tag 0 --srh-next-hdr 17;;?
-m srh --srh-hdr-len-eq 8 --srh-hdr-len-gt 3;;?
-m srh --srh-next-hdr 256;;?
-m srh --srh-tag 65536;;?
-m srh --srh-next-hdr 1 --srh-next-hdr 2;;?
-m hbh --hbh-opts 0:2;;?
-m hbh --hbh-opts 300:2;;?
-m hbh --hbh-opts 1:255,2;;?
-m hbh --hbh-opts x;;?
-m hbh --hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17;;?
-m hbh --hbh-opts 1:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16:1;;?
-m hbh --hbh-opts 1 --hbh-len 2;;?
-m hbh ! --hbh-opts 1;;?
-m dst --dst-opts 0x10:0x20;;?
-m rt --rt-0-res;;?
-m rt --rt-type 0 --rt-0-addrs 2001:db8::1,2001:db8::2;;?
-m rt --rt-type 0 --rt-0-addrs 2001:db8::1,2001:db8::2 --rt-0-not-strict;;?
-m rt --rt-0-not-strict;;?
-m rt --rt-len 3 --rt-type 2;;?
-m ipv6header --header dst,hop,route,frag,auth,esp,none,prot;;?
-m ipv6header --header tcp;;?
-m ipv6header --header 59;;?
-m ipv6header --header ipv6-opts,hopopt;;?
-m ipv6header --header xyz;;?
-m ipv6header --soft;;?
-m ipv6header ! --header frag;;?
-p mh -m mh --mh-type binding-update;;?
-p mh -m mh --mh-type b;;?
-p mh -m mh --mh-type be;;?
-p mh -m mh --mh-type 300;;?
-p mh --mh-type 5;;?
-p ipv6-mh --mh-type 5;;?
-m frag --fragfirst --fragmore --fragres --fraglen 3 ! --fragid 3:4;;?
-m conntrack --ctorigsrc 2001:db8::1/64;;?
-m conntrack --ctorigsrc 2001:db8::1/128;;?
-m conntrack --ctorigsrc 2001:db8::/ffff::;;?
-m conntrack --ctorigsrc 2001:db8::/ffff:0:ffff::;;?
-m conntrack --ctorigsrc 1.2.3.4;;?
-m conntrack --ctorigsrc 2001:db8::1/129;;?
-m conntrack ! --ctrepldst ::/0;;?
-m conntrack --ctstate NEW,ESTABLISHED --ctorigdst 2001:db8::5;;?
-m recent --set --mask ffff:ffff:ffff:ffff::;;?
-m recent --set --mask 255.255.255.0;;?
-m recent --update --seconds 60 --hitcount 4 --name SSH --rsource;;?
-m connlimit --connlimit-above 2 --connlimit-mask 64;;?
-m connlimit --connlimit-above 2 --connlimit-mask ffff:ffff::;;?
-m connlimit --connlimit-above 2 --connlimit-mask ffff:0:ffff::;;?
-m connlimit --connlimit-above 2 --connlimit-mask 129;;?
-m connlimit --connlimit-above 2 --connlimit-mask 255.255.0.0;;?
-m hashlimit --hashlimit-above 2/sec --hashlimit-name x --hashlimit-mode srcip --hashlimit-srcmask 64;;?
-m hashlimit --hashlimit-above 2/sec --hashlimit-name x --hashlimit-mode srcip --hashlimit-srcmask 128;;?
-m hashlimit --hashlimit-above 2/sec --hashlimit-name x --hashlimit-mode srcip --hashlimit-srcmask 32;;?
-m hashlimit --hashlimit-above 2/sec --hashlimit-name x --hashlimit-mode srcip --hashlimit-dstmask 129;;?
-p tcp -m multiport --dports 22,80,443 -m conntrack --ctstate NEW -j ACCEPT;;?
-p udp --sport 547 --dport 546 -d fe80::/64 -j ACCEPT;;?
-m state --state INVALID -j DROP;;?
-j LOG --log-prefix "ip6tables denied: " --log-level 4;;?
-m limit --limit 5/min -j LOG --log-prefix "[UFW BLOCK] ";;?
-m eui64;;?
-m addrtype --dst-type LOCAL;;?
-m addrtype --dst-type ANYCAST,UNREACHABLE;;?
-m addrtype ! --src-type MULTICAST,UNICAST,UNSPEC;;?
-m addrtype --dst-type BLACKHOLE;;?
-m addrtype --src-type BROADCAST;;?
-m addrtype --dst-type LOCAL,PROHIBIT;;?
-m addrtype --dst-type THROW;;?
-m addrtype --dst-type NAT;;?
-m addrtype --src-type XRESOLVE;;?
-m pkttype --pkt-type multicast;;?
-m mac --mac-source 00:11:22:33:44:55;;?
:OUTPUT
-m eui64;;?
*mangle
:INPUT
-j HL --hl-set 3;;?
-j HL;;?
-j SNPT --src-pfx dead::/64 --dst-pfx 1c3::/48;;?
-j DNPT --src-pfx dead::/64 --dst-pfx 1c3::/64;;?
:PREROUTING
-j DNPT --src-pfx dead::1/64 --dst-pfx 1c3::/64;;?
-j DNPT --src-pfx dead::/80 --dst-pfx 1c3::/80;;?
-j TCPMSS --clamp-mss-to-pmtu;;?
:POSTROUTING
-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu;;?
*filter
:INPUT
-j HL --hl-set 3;;?
*nat
:POSTROUTING
-s fd00::/64 ! -o docker0 -j MASQUERADE;;?
-p tcp -j MASQUERADE --to-ports 1024-2000;;?
:PREROUTING
-p tcp --dport 80 -j REDIRECT --to-ports 8080;;?
*nat
:PREROUTING
-p tcp -j DNAT --to-destination dead::beef:80;;?
-p tcp -j DNAT --to-destination [dead::beef;;?
-p tcp -j DNAT --to-destination 1.2.3.4;;?
-p tcp -j DNAT --to-destination [dead::beef-dead::1]:80-90;;?
-p tcp -j DNAT --to-destination []:80;;?
-p tcp -j DNAT --to-destination :80;;?
-p tcp -j DNAT --to-destination [dead::beef]:80:90;;?
-p udp -j DNAT --to-destination [2001:db8::5]:53 --random;;?
-j NETMAP --to 2001:db8:1::5/48;;?
-j NETMAP --to 2001:db8::/ffff:0:ffff::;;?
-j NETMAP --to 10.0.0.0/8;;?
:POSTROUTING
-p tcp -j SNAT --to-source [2001:db8::1]:1000-2000/3000;;?
-s fd00::/8 -j SNAT --to-source 2001:db8::1 --persistent;;?
*filter
:INPUT
-m iprange --src-range 2001:db8::10-2001:db8::1;;?
-m iprange --src-range 10.0.0.1-10.0.0.5;;?
-m iprange --dst-range 2001:db8::1;;?
-m iprange --src-range 2001:db8::1-2001:db8::3 --dst-range ::1-::2;;?
*mangle
:PREROUTING
-j TEE --gateway 10.0.0.1;;?
-j TEE --gateway 2001:db8::1 --oif eth0;;?
